"""Built-in plugin that adds the ``cm gui`` management command (typer is imported only here)."""

from __future__ import annotations

from cmcore import hookimpl

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


@hookimpl
def cm_commands(app: Any, session: Any) -> None:
    import typer

    @app.command("gui")
    def gui(
        port: int = typer.Option(8765, "--port", help="Port on 127.0.0.1."),
        browser: bool = typer.Option(False, "--browser", help="Open the page in the default browser."),
    ) -> None:
        """Local web GUI: scripts, runs, results (local and official), submission."""
        from cmcore.gui.server import serve

        serve(session, port, open_browser=browser)
