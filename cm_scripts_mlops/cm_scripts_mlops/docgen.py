"""Generate each script's README.md from its meta.

    python -m cm_scripts_mlops.docgen            # rewrite the READMEs of the bundled repo
    python -m cm_scripts_mlops.docgen --check    # exit 1 if any README is out of date
    python -m cm_scripts_mlops.docgen PATH...    # other script folders or repos

A README lists the tags, how to run the script, its variations by group (defaults marked),
its flags (``input_mapping`` with ``input_description``), the env it sets by default, its
dependencies and the keys it exports. The rendering is :func:`cmcore.docgen.script.render`
(shared with ``cm doc script``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

# Not imported from the package __init__: run from the source checkout's root, `cm_scripts_mlops`
# may resolve to the distribution folder (a namespace package) instead of the package.
REPO_PATH = Path(__file__).resolve().parent / "repo"

HEADER = "<!-- Generated from _cm.yaml by `python -m cm_scripts_mlops.docgen`; edit the meta, not this file. -->"


def render(meta: dict) -> str:
    """The README text for one script meta (the rendering lives in :mod:`cmcore.docgen.script`)."""
    from cmcore.docgen.script import render as core_render

    return core_render(meta, header=HEADER)


def script_dirs(paths: list[Path]) -> list[Path]:
    """Script folders (with ``_cm.yaml``) under each path (a script folder or a repo)."""
    found: list[Path] = []
    for p in paths:
        if (p / "_cm.yaml").is_file():
            found.append(p)
        else:
            found.extend(sorted(d.parent for d in p.glob("script/*/_cm.yaml")))
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cm_scripts_mlops.docgen", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, help="script folders or repos (default: the bundled repo)")
    ap.add_argument("--check", action="store_true", help="report out-of-date READMEs, write nothing")
    a = ap.parse_args(argv)
    stale = []
    for d in script_dirs(a.paths or [REPO_PATH]):
        try:
            meta = yaml.safe_load((d / "_cm.yaml").read_text()) or {}
        except yaml.YAMLError as e:
            print(f"error: {d / '_cm.yaml'}: {str(e).splitlines()[0]}", file=sys.stderr)
            return 2
        text = render(meta)
        readme = d / "README.md"
        if readme.is_file() and readme.read_text() == text:
            continue
        stale.append(readme)
        if not a.check:
            readme.write_text(text)
    if a.check and stale:
        for r in stale:
            print(f"out of date: {r}", file=sys.stderr)
        return 1
    if not a.check:
        print(f"{len(stale)} README(s) written")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
