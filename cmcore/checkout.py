"""Where cmcore runs from: a source checkout (an editable install) or an installed package."""

from __future__ import annotations

from pathlib import Path


def source_tree() -> Path | None:
    """The cmcore source checkout this module runs from, if it is one (editable install)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "cmcore").is_dir() else None
