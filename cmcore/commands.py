"""Built-in management commands of the typer app: ``cm plugins``, ``cm --version``."""

from __future__ import annotations

from typing import Any

import typer


def register_builtin_commands(app: Any, session: Any) -> None:
    def _version_callback(value: bool) -> None:
        if value:
            from cmcore.cli import version_text

            print(version_text(session))
            raise typer.Exit(0)

    @app.callback(invoke_without_command=True)
    def root(
        ctx: typer.Context,
        version: bool = typer.Option(
            False, "--version", "-V", callback=_version_callback, is_eager=True, help="Show versions and plugins."
        ),
    ) -> None:
        if ctx.invoked_subcommand is None:
            print(ctx.get_help())

    from cmcore.plugins import plugin_rows

    @app.command("new-plugin")
    def new_plugin(
        name: str = typer.Argument(..., help="Plugin name, e.g. my-npu (package cm_my_npu)."),
        dest: str = typer.Option(".", "--dest", help="Folder to create cm-NAME in."),
        description: str = typer.Option("", "--description"),
    ) -> None:
        """Create a new plugin project from the template (pyproject, plugin.py, a test)."""
        from pathlib import Path

        from cmcore.scaffold import render_plugin

        out = render_plugin(name, Path(dest), description)
        print(out)

    @app.command("plugins")
    def plugins(
        all_: bool = typer.Option(False, "--all", help="Include the built-in plugins."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON to stdout."),
    ) -> None:
        """List the installed plugins: name, distribution, version and hooks."""
        rows = plugin_rows(session, include_builtin=all_)
        if as_json:
            from cmcore.cli import print_json

            print_json(rows)
            return
        if not rows:
            print("no plugins installed (use --all to see the built-in ones)")
        for row in rows:
            status = f"FAILED: {row['error'].splitlines()[0]}" if row["error"] else ", ".join(row["hooks"])
            print(f"{row['name']:<28} {row['distribution']:<24} {row['version']:<10} {status}")
