"""Render the plugin template (``templates/cm-plugin``) into a new plugin project."""

from __future__ import annotations

import re
from pathlib import Path

from cmcore.errors import EXISTS, MALFORMED, NOT_FOUND, CMError
from cmcore.refs import gen_uid

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


def template_dir() -> Path:
    """The template folder of this source tree (it ships beside the ``cmcore`` package)."""
    d = Path(__file__).resolve().parent.parent / "templates" / "cm-plugin"
    if not d.is_dir():
        raise CMError(f"the plugin template was not found at {d}; use a source checkout of cmcore", NOT_FOUND)
    return d


def render_plugin(name: str, dest: Path, description: str = "", source: Path | None = None) -> Path:
    """Write a ready-to-install plugin project for ``name`` into ``dest/cm-<name>``."""
    if not _NAME.match(name):
        raise CMError(f'plugin name "{name}" must be lowercase letters, digits and dashes', MALFORMED)
    package = "cm_" + name.replace("-", "_")
    values = {
        "name": name,
        "package": package,
        "dist_name": f"cm-{name}",
        "class_name": "".join(p.capitalize() for p in name.split("-")) + "Automation",
        "description": description or f"The {name} plugin for Collective Mind",
        "uid": gen_uid(),
    }
    src = source or template_dir()
    out = dest / values["dist_name"]
    if out.exists():
        raise CMError(f"{out} already exists", EXISTS)
    for f in sorted(src.rglob("*")):
        if f.is_dir() or "__pycache__" in f.parts:
            continue
        rel = str(f.relative_to(src))
        for k, v in values.items():
            rel = rel.replace("{{" + k + "}}", v)
        text = f.read_text(encoding="utf-8")
        for k, v in values.items():
            text = text.replace("{{" + k + "}}", v)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return out
