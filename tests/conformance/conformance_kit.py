"""The CM-FORMAT §7 conformance kit: the corpus writer and what tests observe it through.

The T1–T10 scripts live once, in the CM dialect, under ``corpus/``. The ``corpus`` fixture
writes them into a temporary repository in the dialect under test and registers it in a
fresh CM home:

* ``cm``: ``cmr.yaml`` at the root, ``_cm.yaml`` metas, ``CM_`` engine keys,
  ``from cmind import utils``;
* ``mlc``: ``meta.yaml`` at the root and per script, every engine-defined ``CM_X`` key
  renamed ``MLC_X`` (T-specific keys such as ``T1_A`` stay), ``from mlc import utils``.

``@@STATE@@`` in a corpus file becomes a per-test folder where scripts append to log
files, so that a test can count how often a native script or a hook really ran.

Everything goes through the public API (``cmcore.access``), the CLI in-process
(``corpus.cli(...)``) or the CLI in a child process (``corpus.cli.subprocess(...)``,
``corpus.popen(...)``), and the on-disk cache layout of CM-FORMAT §3.12.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cmcore
from cmcore.script.dialect import CM, MLC, Dialect
from cmcore.testing import CLIRunner

CORPUS = Path(__file__).parent / "corpus"
REPO_UID = "c0ffee0000000001"
SCRIPT_AUTOMATION_UID = "5b4e0237da074764"

# An engine-defined key (CM_VERSION, CM_TMP_PATH, CM_OUTDIRNAME, ...) as a whole word.
_ENGINE_KEY = re.compile(r"\bCM_(?=[A-Z])")


def translate(text: str, dialect: Dialect, state_dir: Path) -> str:
    """One corpus file in the dialect under test, with ``@@STATE@@`` filled in."""
    text = text.replace("@@STATE@@", str(state_dir))
    if dialect is MLC:
        text = _ENGINE_KEY.sub("MLC_", text)
        text = text.replace("from cmind import utils", "from mlc import utils")
    return text


def write_corpus_repo(dest: Path, dialect: Dialect, state_dir: Path, only: list[str] | None = None) -> Path:
    """Write the corpus as a repository at ``dest`` in ``dialect``; return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    marker = "cmr.yaml" if dialect is CM else "meta.yaml"
    (dest / marker).write_text(f"alias: conformance-corpus\nuid: '{REPO_UID}'\ngit: false\n")
    for src in sorted(CORPUS.iterdir()):
        if not src.is_dir() or (only is not None and src.name not in only):
            continue
        out = dest / "script" / src.name
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(src.iterdir()):
            if not f.is_file():
                continue
            name = "meta.yaml" if (dialect is MLC and f.name == "_cm.yaml") else f.name
            target = out / name
            target.write_text(translate(f.read_text(), dialect, state_dir))
            if name.endswith(".sh"):
                target.chmod(0o755)
    return dest


def write_script(
    repo: Path, dialect: Dialect, alias: str, meta_text: str, files: dict[str, str] | None = None
) -> Path:
    """Add one more script folder (meta given as raw text, maybe malformed on purpose)."""
    d = repo / "script" / alias
    d.mkdir(parents=True, exist_ok=True)
    (d / ("_cm.yaml" if dialect is CM else "meta.yaml")).write_text(meta_text)
    for name, text in (files or {}).items():
        (d / name).write_text(text)
        if name.endswith(".sh"):
            (d / name).chmod(0o755)
    return d


def parse_json_stdout(stdout: str) -> Any:
    """The result JSON the CLI printed for ``-j``; tolerates log lines before it."""
    try:
        return json.loads(stdout)
    except ValueError:
        pass
    for m in re.finditer(r"^\{", stdout, re.M):
        try:
            obj, _ = json.JSONDecoder().raw_decode(stdout[m.start() :])
            return obj
        except ValueError:
            continue
    raise AssertionError(f"no JSON object on stdout:\n{stdout}")


@dataclass
class CacheEntryView:
    """A cache entry folder as found on disk (CM-FORMAT §3.12)."""

    path: Path
    meta: dict | None  # None: the meta is missing or does not parse
    state: dict | None  # cm-cached-state.json / mlc-cached-state.json

    @property
    def tags(self) -> list[str]:
        return list((self.meta or {}).get("tags") or [])

    @property
    def visible(self) -> bool:
        """A finished entry: a parseable meta whose tags have no ``tmp``."""
        return isinstance(self.meta, dict) and "tmp" not in self.tags


@dataclass
class Corpus:
    """The conformance corpus installed in a fresh CM home, in one dialect."""

    dialect: Dialect
    home: Path
    repo: Path
    state: Path
    work: Path
    cli: CLIRunner

    # -- names ------------------------------------------------------------------------
    def key(self, suffix: str) -> str:
        """An engine key in this dialect: ``key('VERSION')`` → ``CM_VERSION`` / ``MLC_VERSION``."""
        return self.dialect.key(suffix)

    @property
    def meta_name(self) -> str:
        return "_cm.yaml" if self.dialect is CM else "meta.yaml"

    @property
    def cached_state_name(self) -> str:
        return self.dialect.cached_state_file

    def script_dir(self, alias: str) -> Path:
        return self.repo / "script" / alias

    # -- running ----------------------------------------------------------------------
    def run(self, tags: str | None = None, **inp: Any) -> dict:
        """``cmcore.access`` of ``run script``; ``quiet`` is on unless given."""
        i: dict[str, Any] = {"action": "run", "automation": "script"}
        if tags is not None:
            i["tags"] = tags
        i.setdefault("quiet", True)
        i.update(inp)
        return cmcore.access(i)

    def ok(self, tags: str | None = None, **inp: Any) -> dict:
        """Like :meth:`run`, asserting success (the error is shown on failure)."""
        r = self.run(tags, **inp)
        assert r.get("return") == 0, f"run {tags!r} {inp!r} failed: {r.get('return')}: {r.get('error')}"
        return r

    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "cmcore.cli", *args]

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["CM_HOME"] = str(self.home)
        return env

    def popen(self, *args: str) -> subprocess.Popen:
        """``cm ARGS`` in a child process of its own process group (for signals)."""
        return subprocess.Popen(
            self.cmd(*args),
            cwd=self.work,
            env=self.child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    # -- observing --------------------------------------------------------------------
    def log_lines(self, name: str) -> list[str]:
        """Lines a corpus script appended to ``@@STATE@@/<name>`` (empty if none)."""
        p = self.state / name
        return p.read_text().splitlines() if p.exists() else []

    @property
    def cache_dir(self) -> Path:
        return self.home / "repos" / "local" / "cache"

    def cache_folders(self) -> list[CacheEntryView]:
        """Every folder under the cache, finished or not."""
        out = []
        if not self.cache_dir.is_dir():
            return out
        for d in sorted(self.cache_dir.iterdir()):
            if not d.is_dir() or d.name.startswith("."):
                continue
            meta = None
            for name in ("_cm.json", "meta.json"):
                if (d / name).is_file():
                    try:
                        loaded = json.loads((d / name).read_text())
                        meta = loaded if isinstance(loaded, dict) else None
                    except ValueError:
                        meta = None
                    break
            state = None
            if (d / self.cached_state_name).is_file():
                try:
                    state = json.loads((d / self.cached_state_name).read_text())
                except ValueError:
                    state = None
            out.append(CacheEntryView(d, meta, state))
        return out

    def cache_entries(self, tag: str | None = None) -> list[CacheEntryView]:
        """The finished cache entries, optionally only those with ``tag``."""
        return [e for e in self.cache_folders() if e.visible and (tag is None or tag in e.tags)]
