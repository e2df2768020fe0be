"""The helpers ``customize.py`` files call on ``i['automation']`` (CM-FORMAT §3.10).

:class:`ScriptHelpers` is a mixin: the script automation inherits it, so inside a hook
``i['automation'].find_artifact(...)`` works as in CM and MLC. It needs only
``self.session``. Every helper takes one dict and returns a CM return dict; it never raises
for expected failures (a hook checks ``r['return']``).

Differences from the original, on purpose: ``find_artifact`` never prompts when several
candidates remain (the first in search order is taken, with one notice), and probes run
with their output saved to ``tmp-run.log`` instead of the console.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from collections.abc import Callable
from pathlib import Path

from cmcore.errors import GENERIC, NOT_FOUND, SCRIPT_FAILED, CMError
from cmcore.script.dialect import CM, DIALECTS, MLC, Dialect

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any, ClassVar

    from cmcore.session import Session


# The helpers below need the compat shims, the customize loader and the native runner. They
# are imported on first use: a cached run never calls a helper, and must not pay for them.
def _cutils() -> Any:
    from cmcore.compat import utils

    return utils


def call_hook(*args: Any, **kwargs: Any) -> Any:
    from cmcore.script.customize_api import call_hook as impl

    return impl(*args, **kwargs)


def load_customize(*args: Any, **kwargs: Any) -> Any:
    from cmcore.script.customize_api import load_customize as impl

    return impl(*args, **kwargs)


def os_info(*args: Any, **kwargs: Any) -> Any:
    from cmcore.script.customize_api import os_info as impl

    return impl(*args, **kwargs)


def run_native_script(*args: Any, **kwargs: Any) -> Any:
    from cmcore.script.native import run_native_script as impl

    return impl(*args, **kwargs)


def select_native_script(*args: Any, **kwargs: Any) -> Any:
    from cmcore.script.native import select_native_script as impl

    return impl(*args, **kwargs)


def SessionLogger(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - keeps the class-like name
    from cmcore.compat.shims import SessionLogger as impl

    return impl(*args, **kwargs)

# Suffixes tried after a file name, so that "python3" also finds "python3.11" (§3.10).
_SUFFIXES = ["", ".N", ".NN", "-N", "-NN", "N", "NN", "N.N", "NN.N", "NN.NN"]
_GLOB_SUFFIXES = [s.replace("N", "[0-9]") for s in _SUFFIXES]
_TMP_FILES = ("tmp-run-env.out", "tmp-run-state.json", "tmp-ver.out")


def _helper(fn: Callable[..., dict]) -> Callable[..., dict]:
    """Turn a CMError raised inside a helper into its return dict."""

    @functools.wraps(fn)
    def wrapper(self: Any, i: dict) -> dict:
        try:
            return fn(self, i)
        except CMError as exc:
            return exc.to_dict()

    return wrapper


class _APIHandle:
    """What ``i['automation'].cmind`` / ``.action_object`` is: ``.access`` and ``.utils``."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.utils = _cutils()
        self.logger = SessionLogger(session)

    def access(self, i: dict | str | list) -> dict:
        if isinstance(i, dict) and "automation" not in i and "target" in i:  # MLC's key
            i = {**i, "automation": i["target"]}
        return self._session.access(i)

    @property
    def repos(self) -> list:
        """The registered repos (objects with ``.path`` and ``.meta``), as MLC's ``repos``."""
        return list(self._session.db.repos())

    def error(self, r: dict) -> dict:
        if r.get("return", 0) > 0:
            self._session.log.warning(str(r.get("error", "")))
        return r


def dialect_for(i: dict, env: dict | None = None) -> Dialect:
    """The dialect of the script a helper serves: from ``run_script_input``, else guessed
    from the env keys (``MLC_*`` and no ``CM_*`` → MLC)."""
    rsi = i.get("run_script_input") or {}
    d = rsi.get("dialect")
    if isinstance(d, Dialect):
        return d
    if isinstance(d, str) and d in DIALECTS:
        return DIALECTS[d]
    keys = list((env if env is not None else i.get("env") or {}).keys())
    if any(k.startswith("MLC_") for k in keys) and not any(k.startswith("CM_") for k in keys):
        return MLC
    return CM


def version_ok(version: str, env: dict, dialect: Dialect) -> tuple[bool, str]:
    """Does ``version`` satisfy ``<P>_VERSION``, ``_VERSION_MIN`` and ``_VERSION_MAX``?"""
    exact = str(env.get(dialect.key("VERSION"), "") or "")
    vmin = str(env.get(dialect.key("VERSION_MIN"), "") or "")
    vmax = str(env.get(dialect.key("VERSION_MAX"), "") or "")
    if not (exact or vmin or vmax):
        return True, ""
    if not version:
        return False, "its version was not detected"
    cmp = _cutils().compare_version_strings
    if exact and cmp(version, exact) != 0:
        return False, f"version {version} != {exact}"
    if vmin and cmp(version, vmin) < 0:
        return False, f"version {version} < min {vmin}"
    if vmax and cmp(version, vmax) > 0:
        return False, f"version {version} > max {vmax}"
    return True, ""


def _unique_add(env: dict, key: str, value: str, front: bool = False) -> None:
    items = env.get(key)
    if not isinstance(items, list):
        items = [] if items in (None, "") else [items]
    if value not in items:
        items.insert(0, value) if front else items.append(value)
    env[key] = items


class ScriptHelpers:
    """Helpers for customize.py hooks; mixed into the script automation."""

    session: Session
    #: public helper names, which are not CLI verbs (for ``Automation.not_actions``)
    helper_names: ClassVar[frozenset[str]] = frozenset({
        "find_artifact", "find_file_in_paths", "find_file_deep", "find_file_back", "parse_version",
        "detect_version_using_script", "run_native_script", "update_deps", "get_default_path_list",
        "clean_some_tmp_files", "cmind", "action_object", "logger",
    })

    @property
    def cmind(self) -> _APIHandle:
        """``i['automation'].cmind.access(...)``, as customize.py files call it."""
        return _APIHandle(self.session)

    @property
    def action_object(self) -> _APIHandle:
        """MLC's name for :attr:`cmind`."""
        return _APIHandle(self.session)

    @property
    def logger(self) -> Any:
        """``automation.logger``: the session log with the ``logging.Logger`` method names."""
        return SessionLogger(self.session)

    # -- search paths ------------------------------------------------------------------

    def get_default_path_list(self, i: dict) -> list[str]:
        """The directories in ``os.environ[default_path_env_key]`` (a list, as in CM)."""
        key = i.get("default_path_env_key", "PATH")
        if not key:
            return []
        sep = (i.get("os_info") or {}).get("env_separator", os.pathsep)
        return [p for p in os.environ.get(key, "").split(sep) if p]

    @staticmethod
    def _glob_candidates(paths: list[str], file_name: str) -> list[str]:
        """Files named ``file_name`` plus a version suffix, in path order, no duplicates.

        A folder listed twice, or under two names (``/bin`` → ``/usr/bin``), is searched once.
        """
        out: list[str] = []
        seen_dirs: set[str] = set()
        import glob

        base = glob.escape(file_name)
        for d in paths:
            real = os.path.realpath(d)
            if real in seen_dirs:
                continue
            seen_dirs.add(real)
            for pattern in _GLOB_SUFFIXES:
                for f in sorted(glob.glob(os.path.join(glob.escape(d), base + pattern))):
                    if os.path.isfile(f) and f not in out:
                        out.append(f)
        return out

    # -- detection ---------------------------------------------------------------------

    def _detect_with_script(self, rsi: dict, env: dict, dialect: Dialect, module: Any,
                            script_name: str = "") -> tuple[bool, str, str]:
        """Run the script's own native script in detect mode, then its ``detect_version``
        hook. Returns (ok, version, why-not)."""
        script_dir = Path(rsi["path"])
        name = script_name or rsi.get("script_name") or "run"
        script = select_native_script(script_dir, name, env, dialect, explicit=name != "run")
        if script is not None:
            res = run_native_script(script, env=env, state=rsi.get("state", {}), cwd=Path.cwd(),
                                    dialect=dialect, silent=True, log=self.session.log,
                                    redactor=self.session.redactor)
            if res.returncode != 0:
                return False, "", f"{script.name} exited with {res.returncode} (log: {res.log_path})"
            env.update(res.env_out)
        hook_input = {
            "env": env, "state": rsi.get("state", {}), "meta": rsi.get("meta", {}), "automation": self,
            "run_script_input": rsi, "os_info": rsi.get("os_info") or os_info(dialect),
            "artifact": rsi.get("artifact"), "recursion_spaces": rsi.get("recursion_spaces", ""),
            "input": rsi.get("input", {}), "customize": (rsi.get("meta") or {}).get("customize", {}),
        }
        r = call_hook(module, "detect_version", hook_input, dialect)
        if r is None:
            return True, "", ""
        if r.get("return", 0) > 0:
            return False, "", str(r.get("error", "detect_version failed"))
        return True, str(r.get("version", "") or ""), ""

    @_helper
    def find_file_in_paths(self, i: dict) -> dict:
        """Candidates for ``file_name`` in ``paths`` → ``found_files`` (path order), filtered
        by ``hook`` and, with ``detect_version``, by the version limits in ``env``;
        ``versions`` maps each kept file to its detected version."""
        env = i.get("env", {})
        dialect = dialect_for(i, env)
        candidates = self._glob_candidates(list(i.get("paths", [])), i["file_name"])
        return self._filter_candidates(candidates, i, env, dialect)

    def _filter_candidates(self, candidates: list[str], i: dict, env: dict, dialect: Dialect,
                           first_only: bool = False) -> dict:
        """Apply ``hook`` and the version probe; ``first_only`` stops at the first match."""
        hook = i.get("hook")
        detect = bool(i.get("detect_version"))
        env_path_key = i.get("env_path_key", "")
        rsi = i.get("run_script_input") or {}
        if detect and not rsi.get("path"):
            raise CMError("detect_version needs run_script_input (with the script path)", GENERIC)
        module = load_customize(Path(rsi["path"]), dialect) if detect else None
        found: list[str] = []
        versions: dict[str, str] = {}
        rejected: dict[str, str] = {}
        for cand in candidates:
            if callable(hook):  # get-java/get-cl: hook({'file': path}) -> {'return': 0, 'skip': bool}
                rh = hook({"file": cand, "file_path": cand, "env": env})
                if isinstance(rh, dict) and rh.get("return", 0) > 0:
                    raise CMError(str(rh.get("error", f"find_artifact hook failed on {cand}")), int(rh["return"]))
                if rh is False or (isinstance(rh, dict) and rh.get("skip")):
                    continue
            if detect:
                probe_env = dict(env)
                if env_path_key:
                    probe_env[env_path_key] = cand
                ok, version, why = self._detect_with_script(rsi, probe_env, dialect, module)
                if ok:
                    ok, why = version_ok(version, env, dialect)
                if not ok:
                    self.session.log.debug(f"find_artifact: skipping {cand}: {why}")
                    rejected[cand] = why
                    continue
                versions[cand] = version
            found.append(cand)
            if first_only:
                break
        return {"return": 0, "found_files": found, "versions": versions, "rejected": rejected}

    @_helper
    def find_artifact(self, i: dict) -> dict:
        """Find an executable or file (CM-FORMAT §3.10) and export it.

        Input: ``file_name``, ``env``, ``os_info``, ``default_path_env_key`` (``PATH``),
        ``detect_version``, ``env_path_key``, ``run_script_input``, ``hook``, ``extra_paths``.
        Searches ``<P>_TMP_PATH`` (else the default path list), or exactly ``<P>_INPUT``;
        sets ``env[env_path_key]``, prepends the folder to ``env['+' + default key]`` when it
        is not on the default path, and adds ``extra_paths``. Several matches: the first in
        search order wins (one notice, no prompt). Not found: return 16.
        """
        file_name = i["file_name"]
        env = i["env"]
        dialect = dialect_for(i, env)
        info = i.get("os_info") or os_info(dialect)
        default_key = i.get("default_path_env_key", "PATH")
        default_paths = self.get_default_path_list({"default_path_env_key": default_key, "os_info": info})
        sep = info.get("env_separator", os.pathsep)

        forced = str(env.get(dialect.key("INPUT"), "") or "")
        tmp_path = str(env.get(dialect.tmp("PATH"), "") or "")
        if forced:
            if not os.path.isfile(forced):
                return {"return": NOT_FOUND, "error": f"{forced} (given with --input) is not a file"}
            candidates = [os.path.abspath(forced)]
            paths = [os.path.dirname(candidates[0])]
        else:
            if tmp_path:
                paths = [p for p in tmp_path.split(sep) if p]
                missing = [p for p in paths if not os.path.isdir(p)]
                if missing and not _cutils().is_true(env.get(dialect.tmp("PATH_IGNORE_NON_EXISTANT"), "")):
                    return {"return": GENERIC, "error": f"path {missing[0]} (given with --path) does not exist"}
                paths = [p for p in paths if os.path.isdir(p)]
            else:
                paths = default_paths
            candidates = self._glob_candidates(paths, file_name)

        # The first acceptable candidate in search order wins, so later ones are not probed.
        r = self._filter_candidates(candidates, i, env, dialect, first_only=True)
        found, versions = r["found_files"], r["versions"]
        if not found:
            where = ", ".join(paths) if len(paths) <= 8 else f"{len(paths)} folders"
            why = " satisfying the version limits" if candidates and i.get("detect_version") else ""
            reasons = "; ".join(f"{c}: {w}" for c, w in list(r["rejected"].items())[:3])
            return {"return": NOT_FOUND, "default_path_list": default_paths,
                    "error": f"{file_name}{why} not found in {where}" + (f" ({reasons})" if reasons else "")}
        chosen = found[0]
        others = candidates[candidates.index(chosen) + 1:]
        if others:  # CM would prompt here; we take the first and say so once
            version = f" ({versions[chosen]})" if versions.get(chosen) else ""
            self.session.log.info(f"{file_name}: using {chosen}{version}, the first of {len(others) + 1} "
                                  f"candidates in search order (also found: {', '.join(others)})")

        found_path = os.path.dirname(chosen)
        env_path_key = i.get("env_path_key", "")
        if env_path_key:
            env[env_path_key] = chosen
        norm = {os.path.normpath(p) for p in default_paths}
        if default_key and os.path.normpath(found_path) not in norm:
            _unique_add(env, "+" + default_key, found_path, front=True)
        for sub, key in (i.get("extra_paths") or {}).items():
            extra = os.path.join(os.path.dirname(found_path), sub)
            if os.path.isdir(extra):
                if key.startswith("+"):
                    _unique_add(env, key, extra)
                else:
                    env[key] = extra
        out = {"return": 0, "found_path": found_path, "found_file_path": chosen,
               "found_file_name": os.path.basename(chosen), "default_path_list": default_paths}
        if versions.get(chosen):
            out["version"] = versions[chosen]
        return out

    @_helper
    def parse_version(self, i: dict) -> dict:
        """Regex-search ``file_name`` (``tmp-ver.out``) for ``match_text``; set
        ``which_env[env_key]`` and ``<P>_DETECTED_VERSION``; returns ``version`` and the file
        text as ``string``; no match → return 1."""
        which_env = i.get("which_env")
        if which_env is None:
            which_env = i.get("env", {})
        env_key = i.get("env_key", "")
        file_name = i.get("file_name", "tmp-ver.out")
        group = int(i.get("group_number", 1))
        r = _cutils().load_txt(file_name, match_text=i["match_text"], fail_if_no_match="version was not detected")
        if r["return"] > 0:
            return r
        try:
            version = r["match"].group(group).strip()
        except IndexError:
            return {"return": GENERIC, "error": f"match_text {i['match_text']!r} has no group {group}"}
        dialect = MLC if env_key.startswith("MLC_") else dialect_for(i, which_env)
        if env_key:
            which_env[env_key] = version
        which_env[dialect.key("DETECTED_VERSION")] = version
        self.session.log.debug(f"detected version: {version}")
        return {"return": 0, "version": version, "string": r["string"]}  # get-docker reads 'string'

    @_helper
    def detect_version_using_script(self, i: dict) -> dict:
        """Run the script's native script in detect mode and its ``detect_version`` hook →
        ``detected_version``; not detected or outside the version limits → 16."""
        env = i["env"]
        rsi = i.get("run_script_input") or {}
        if not rsi.get("path"):
            return {"return": GENERIC, "error": "detect_version_using_script needs run_script_input"}
        dialect = dialect_for(i, env)
        module = load_customize(Path(rsi["path"]), dialect)
        ok, version, why = self._detect_with_script(rsi, env, dialect, module, i.get("script_name", ""))
        if ok and not version:
            ok, why = False, "version was not detected"
        if ok:
            ok, why = version_ok(version, env, dialect)
        if not ok:
            return {"return": NOT_FOUND, "error": why}
        return {"return": 0, "detected_version": version}

    @_helper
    def run_native_script(self, i: dict) -> dict:
        """Run ``<script_name>.sh``/``.bat`` from the script folder with ``env`` (CM's
        helper form). Non-zero exit → return 2; ``tmp-run-env.out`` is merged into env;
        with ``detect_version`` the hook runs afterwards and ``version`` is returned."""
        rsi = dict(i.get("run_script_input") or {})
        if not rsi.get("path"):
            return {"return": GENERIC, "error": "run_native_script needs run_script_input"}
        env: dict = i["env"] if i.get("env") is not None else rsi.get("env", {})
        dialect = dialect_for(i, env)
        name = i.get("script_name") or rsi.get("script_name") or "run"
        script = select_native_script(Path(rsi["path"]), name, env, dialect, explicit=True)
        assert script is not None  # explicit=True raises instead
        state = rsi.get("state", {})
        res = run_native_script(script, env=env, state=state, cwd=Path.cwd(), dialect=dialect,
                                silent=bool(rsi.get("silent")), log=self.session.log,
                                redactor=self.session.redactor)
        if res.returncode != 0:
            return {"return": SCRIPT_FAILED, "returncode": res.returncode,
                    "error": f"native script {script} failed with exit code {res.returncode} (log: {res.log_path})"}
        env.update(res.env_out)
        if res.state_out:
            _cutils().merge_dicts({"dict1": state, "dict2": res.state_out, "append_lists": True, "append_unique": True})
        out: dict = {"return": 0, "returncode": 0, "log_path": str(res.log_path)}
        if i.get("detect_version"):
            module = load_customize(Path(rsi["path"]), dialect)
            r = call_hook(module, "detect_version", {"env": env, "state": state, "automation": self,
                                                     "run_script_input": rsi, "meta": rsi.get("meta", {})}, dialect)
            if r is not None and r.get("return", 0) > 0:
                return r
            out["version"] = (r or {}).get("version", "")
        return out

    # -- other helpers -----------------------------------------------------------------

    @_helper
    def update_deps(self, i: dict) -> dict:
        """Apply ``update_deps`` ``{name: patch}`` to the deps in ``deps`` that carry that
        name (the ``ad`` semantics): dicts merged, lists appended uniquely, ``tags``
        appended to the dep's tags; ``<<<KEY>>>`` in patch strings resolved from ``env``."""
        deps = i.get("deps") or []
        env = i.get("env") or {}
        for name, patch in (i.get("update_deps") or {}).items():
            for dep in deps:
                if name not in (dep.get("names") or []):
                    continue
                p = _resolve_placeholders(copy.deepcopy(patch), env)
                tags = p.pop("tags", None)
                _cutils().merge_dicts({"dict1": dep, "dict2": p, "append_lists": True, "append_unique": True})
                if tags:
                    old = [t.strip() for t in str(dep.get("tags", "")).split(",") if t.strip()]
                    new = tags if isinstance(tags, list) else str(tags).split(",")
                    dep["tags"] = ",".join(old + [t.strip() for t in new if t.strip() and t.strip() not in old])
        return {"return": 0}

    @_helper
    def find_file_deep(self, i: dict) -> dict:
        """Folders under ``paths`` (recursively) that hold ``file_name`` → ``found_paths``;
        ``restrict_paths`` keeps only those containing one of the given fragments."""
        found: list[str] = []
        restrict = list(i.get("restrict_paths") or [])
        for top in i.get("paths", []):
            for root, dirs, files in os.walk(top):
                dirs.sort()
                if i["file_name"] in files and (not restrict or any(r in root for r in restrict)):
                    found.append(root)
        return {"return": 0, "found_paths": found}

    @_helper
    def find_file_back(self, i: dict) -> dict:
        """The nearest folder at or above ``path`` that holds ``file_name`` → ``found_path``
        (``""`` when there is none)."""
        r = _cutils().find_file_in_dir_and_above(i["file_name"], i.get("path", ""))
        return {"return": 0, "found_path": r.get("path", "") if r["return"] == 0 else ""}

    @_helper
    def clean_some_tmp_files(self, i: dict) -> dict:
        """Remove stale ``tmp-run-env.out``, ``tmp-run-state.json`` and ``tmp-ver.out`` from
        the work folder (``<P>_TMP_CURRENT_SCRIPT_WORK_PATH``, else the cwd)."""
        env = i.get("env") or {}
        dialect = dialect_for(i, env)
        work = env.get(dialect.tmp("CURRENT_SCRIPT_WORK_PATH")) or os.getcwd()
        for name in _TMP_FILES:
            try:
                os.remove(os.path.join(work, name))
            except FileNotFoundError:
                pass
        return {"return": 0}

    def _available_variations(self, i: dict) -> dict:
        """The error a script returns when a required variation is missing; lists them."""
        meta = i.get("meta") or {}
        names = sorted("_" + v for v in (meta.get("variations") or {}) if "#" not in v)
        alias = meta.get("alias", "this script")
        return {"return": GENERIC,
                "error": f'no variation selected for "{alias}"; available variations: {" ".join(names)}'}


def _resolve_placeholders(obj: Any, env: dict) -> Any:
    """Replace ``<<<KEY>>>`` in strings by ``env[KEY]`` (unknown keys are left as they are)."""
    if isinstance(obj, str):
        return re.sub(r"<<<([^<>]+)>>>", lambda m: str(env.get(m.group(1), m.group(0))), obj)
    if isinstance(obj, list):
        return [_resolve_placeholders(x, env) for x in obj]
    if isinstance(obj, dict):
        return {k: _resolve_placeholders(v, env) for k, v in obj.items()}
    return obj
