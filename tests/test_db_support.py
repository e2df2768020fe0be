"""Helpers shared by the database tests (no tests here): a ``demo`` automation plugin.

The plugin is a real distribution on ``sys.path`` (a hand-written ``*.dist-info`` with an
entry point of group ``cm``), so the real ``cm`` command, in-process or in a subprocess,
loads it exactly as it would load an installed package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

DEMO_UID = "0123456789abcdef"

PLUGIN_SOURCE = f'''
from cmcore import hookimpl
from cmcore.types import AutomationSpec


def _factory(session):
    from cmcore.automations.generic import GenericActions

    class Demo(GenericActions):
        name = "demo"
        uid = "{DEMO_UID}"

    return Demo(session)


@hookimpl
def cm_automations():
    return [AutomationSpec("demo", "{DEMO_UID}", _factory, "demo artifacts for the db tests")]
'''


def write_demo_plugin(root: Path) -> Path:
    """Write the ``cm_demo_auto`` module and its dist-info under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cm_demo_auto.py").write_text(PLUGIN_SOURCE)
    info = root / "cm_demo_auto-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cm-demo-auto\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[cm]\ndemo = cm_demo_auto\n")
    return root


@pytest.fixture
def demo_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo plugin on sys.path (in-process) and PYTHONPATH (subprocesses)."""
    import importlib
    import os

    root = write_demo_plugin(tmp_path / "plugin-path")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    importlib.invalidate_caches()
    return root


def write_artifact(repo: Path, automation: str, name: str, meta: dict[str, Any] | None = None,
                   fmt: str = "yaml", dialect: str = "cm") -> Path:
    """Write ``<repo>/<automation>/<name>/_cm.yaml`` (or json / MLC meta.*) by hand."""
    d = repo / automation / name
    d.mkdir(parents=True, exist_ok=True)
    m = {"alias": name, "uid": None, "automation_alias": automation, "tags": []}
    m.update(meta or {})
    if m["uid"] is None:
        from cmcore.refs import gen_uid

        m["uid"] = gen_uid()
    stem = "_cm" if dialect == "cm" else "meta"
    if fmt == "yaml":
        (d / f"{stem}.yaml").write_text(yaml.safe_dump(m, sort_keys=False))
    else:
        (d / f"{stem}.json").write_text(json.dumps(m, indent=2))
    return d


def make_repo(root: Path, alias: str, uid: str | None = None, *, dialect: str = "cm", prefix: str = "") -> Path:
    from cmcore.refs import gen_uid

    root.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {"alias": alias, "uid": uid or gen_uid(), "git": False}
    if prefix:
        meta["prefix"] = prefix
        (root / prefix).mkdir(exist_ok=True)
    (root / ("cmr.yaml" if dialect == "cm" else "meta.yaml")).write_text(yaml.safe_dump(meta))
    return root


@pytest.fixture
def no_racy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust every timestamp at once (tests write files and look them up within one second)."""
    monkeypatch.setattr("cmcore.db.index.RACY_NS", 0)
