"""The plugin manager factory and the registry built from it.

``get_plugin_manager()`` builds a fresh manager: the built-in plugins first (registered
in-process, through the same manager a third-party plugin uses), then every entry point
of the group ``cm``, each loaded in its own ``try`` so that one broken plugin is one
warning line and the others still load.

User controls (environment): ``CM_DISABLE_PLUGIN_AUTOLOAD=1`` loads no entry points;
``CM_PLUGINS=a,b`` loads only those (empty: none); ``CM_TRACE_PLUGINS=1`` traces hook
calls to stderr. ``-p no:NAME`` on the command line blocks one plugin (``blocked``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from cmcore import hookspecs
from cmcore.errors import CMError
from cmcore.hooks import LitePluginManager
from cmcore.records import field, record

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

PROJECT = "cm"
ENTRY_POINT_GROUP = "cm"

# Built-in plugins, registered in this order. Each is an ordinary plugin module.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "cmcore.builtin.automations",
    "cmcore.builtin.native",
    "cmcore.builtin.cache",
    "cmcore.builtin.executors",
    "cmcore.repro.plugin",
    "cmcore.gui.plugin",
)


@record
class PluginInfo:
    """What ``cm plugins`` shows about one plugin."""

    name: str
    distribution: str = ""
    version: str = ""
    builtin: bool = False
    hooks: list[str] = field(default_factory=list)
    error: str = ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": list(self.hooks),
            "error": self.error,
        }


class CMPluginManager(LitePluginManager):
    """A plugin manager (pluggy's, without importing pluggy until needed: :mod:`cmcore.hooks`)
    that also remembers where each plugin came from and what failed."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.failures: list[PluginInfo] = []
        self.warnings: list[str] = []
        self.tracing = False

    # -- introspection -------------------------------------------------------------
    def plugin_infos(self, include_builtin: bool = True) -> list[PluginInfo]:
        out = []
        for name, info in self.infos.items():
            if info.builtin and not include_builtin:
                continue
            plugin = self.get_plugin(name)
            info.hooks = sorted(
                h.name for h in (self.get_hookcallers(plugin) or []) if plugin is not None
            )
            out.append(info)
        return out + list(self.failures)

    def distribution_of(self, plugin_name: str) -> str:
        info = self.infos.get(plugin_name)
        if info is None:
            return plugin_name
        return info.distribution or ("cmcore (built-in)" if info.builtin else plugin_name)

    # -- calling registration hooks with attribution ---------------------------------
    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a hook; return ``(plugin_name, result)`` pairs.

        Used for registration hooks so that duplicates can name both distributions.
        A plugin whose hook raises is reported as a warning and skipped.
        """
        caller = getattr(self.hook, hook_name)
        results: list[tuple[str, Any]] = []
        # pluggy calls the most recently registered first; keep registration order instead.
        for impl in reversed(caller.get_hookimpls()):
            args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
            if self.tracing:
                sys.stderr.write(f"cm-trace: {hook_name} [{impl.plugin_name}]\n")
            try:
                res = impl.function(**args)
            except Exception as exc:  # a broken plugin must not take the others down
                self.warnings.append(
                    f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                )
                continue
            if res is not None:
                results.append((impl.plugin_name, res))
        return results

    def registered_records(self, hook_name: str, **kwargs: Any) -> dict[str, Any]:
        """Flatten the lists a registration hook returns into ``{name: record}``.

        A duplicate name (or alias) is a :class:`CMError` naming both distributions.
        """
        seen: dict[str, tuple[str, Any]] = {}
        for plugin_name, records in self.call_each(hook_name, **kwargs):
            for rec in records or []:
                names = [rec.name, *getattr(rec, "aliases", ())]
                for n in names:
                    if n in seen:
                        first = self.distribution_of(seen[n][0])
                        second = self.distribution_of(plugin_name)
                        raise CMError(
                            f"{hook_name}: the name {n!r} is registered by both {first} and {second}",
                            8,
                        )
                    seen[n] = (plugin_name, rec)
        out: dict[str, Any] = {}
        for _n, (_p, rec) in seen.items():
            out.setdefault(rec.name, rec)
        return out


def plugin_rows(session: Any, include_builtin: bool) -> list[dict]:
    """Rows for ``cm plugins`` / ``cm --version``: name, distribution, version, hooks, error."""
    return [p.to_dict() for p in session.pm.plugin_infos(include_builtin=include_builtin)]


def _env_flag(env: dict, key: str) -> bool:
    return str(env.get(key, "")).strip().lower() in ("1", "yes", "true", "on")


@record(frozen=True)
class EntryPointRecord:
    """One ``cm`` entry point, as found in installed distributions."""

    name: str
    value: str  # "package.module" or "package.module:attr"
    dist_name: str
    dist_version: str

    def load(self) -> Any:
        import importlib

        module, _, attr = self.value.partition(":")
        obj = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj


def _scan_entry_points() -> list[EntryPointRecord]:
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        out.append(EntryPointRecord(ep.name, ep.value, getattr(dist, "name", "") or "",
                                    getattr(dist, "version", "") or ""))
    return out


def _stable_path() -> list[str]:
    """``sys.path`` without the working directory (it changes all the time and holds no installs)."""
    cwd = os.getcwd()
    return [p for p in sys.path if p not in ("", ".", cwd)]


def _path_stamp() -> list[list[Any]]:
    stamp: list[list[Any]] = []
    for p in _stable_path():
        try:
            stamp.append([p, os.stat(p or ".").st_mtime_ns])
        except OSError:
            stamp.append([p, None])
    return stamp


def entry_point_records(cache_dir: str | os.PathLike | None = None) -> list[EntryPointRecord]:
    """The ``cm`` entry points of this interpreter.

    Importing ``importlib.metadata`` and scanning every distribution costs ~40 ms, more than
    the rest of a ``cm find``. The list is therefore cached in ``cache_dir``, keyed by the
    interpreter and ``sys.path``, and reused while no folder on ``sys.path`` changed its
    mtime (installing or removing a distribution adds or removes entries there).
    """
    if cache_dir is None:
        return _scan_entry_points()
    import json

    from cmcore.digest import sha1

    key = sha1("\0".join([sys.executable, *_stable_path()]).encode()).hexdigest()[:16]
    f = os.path.join(os.fspath(cache_dir), f"entry-points-{key}.json")
    stamp = _path_stamp()
    try:
        with open(f, encoding="utf-8") as fh:
            data = json.load(fh)
        if isinstance(data, dict) and data.get("stamp") == stamp:  # a damaged cache file is rebuilt
            return [EntryPointRecord(*row) for row in data["entry_points"]]
    except (OSError, ValueError, TypeError, KeyError):
        pass
    records = _scan_entry_points()
    try:
        from cmcore.metaio import atomic_write_text

        payload = {"stamp": stamp, "entry_points": [[r.name, r.value, r.dist_name, r.dist_version]
                                                    for r in records]}
        atomic_write_text(f, json.dumps(payload))
    except OSError:
        pass  # a read-only home only costs speed
    return records


def get_plugin_manager(
    *,
    load_entry_points: bool | None = None,
    blocked: Iterable[str] = (),
    extra_plugins: Iterable[Any] = (),
    env: dict | None = None,
    verbose: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> CMPluginManager:
    """Build a fresh plugin manager.

    ``load_entry_points`` overrides ``CM_DISABLE_PLUGIN_AUTOLOAD``; ``blocked`` lists
    plugin names that must not load (``-p no:NAME``); ``extra_plugins`` are objects or
    modules registered after the built-ins (tests use this); ``cache_dir`` keeps the
    entry-point list between processes (see :func:`entry_point_records`).
    """
    env = dict(os.environ) if env is None else env
    pm = CMPluginManager()
    blocked_set = {b.strip().lower() for b in blocked if b.strip()}
    for name in blocked_set:
        pm.set_blocked(name)

    import importlib

    for modname in BUILTIN_PLUGINS:
        short = modname.rsplit(".", 1)[-1]
        if short in blocked_set or modname in blocked_set:
            continue
        mod = importlib.import_module(modname)
        pm.register(mod, name=modname)
        pm.infos[modname] = PluginInfo(name=modname, distribution="cmcore", builtin=True, version=_version())

    for obj in extra_plugins:
        reg_name = pm.register(obj)
        if reg_name:
            pm.infos[reg_name] = PluginInfo(name=reg_name, distribution="(registered in-process)")

    if load_entry_points is None:
        load_entry_points = not _env_flag(env, "CM_DISABLE_PLUGIN_AUTOLOAD")
    if load_entry_points:
        only: set[str] | None = None
        if "CM_PLUGINS" in env:
            only = {p.strip().lower() for p in env["CM_PLUGINS"].split(",") if p.strip()}
        _load_entry_points(pm, entry_point_records(cache_dir), only, blocked_set, verbose)

    _check_unknown_hooks(pm)
    if _env_flag(env, "CM_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(f"cm-trace: {msg}"))
        pm.enable_tracing()
        pm.tracing = True
    return pm


def _load_entry_points(
    pm: CMPluginManager, records: list[EntryPointRecord], only: set[str] | None, blocked: set[str], verbose: bool
) -> None:
    for ep in records:
        name = ep.name.lower()
        if name in blocked or (only is not None and name not in only):
            continue
        if pm.get_plugin(name) is not None or pm.is_blocked(name):
            continue
        dist_name, dist_version = ep.dist_name, ep.dist_version
        try:
            plugin = ep.load()
            pm.register(plugin, name=name)
        except Exception as exc:
            msg = f"{type(exc).__name__}: {exc}"
            if verbose:
                import traceback

                msg += "\n" + traceback.format_exc()
            pm.failures.append(
                PluginInfo(name=name, distribution=dist_name, version=dist_version, error=msg)
            )
            pm.warnings.append(
                f"plugin {name!r} from {dist_name or '?'} {dist_version} failed to load: "
                f"{type(exc).__name__}: {exc}"
            )
            continue
        pm.infos[name] = PluginInfo(name=name, distribution=dist_name, version=dist_version)


def _check_unknown_hooks(pm: CMPluginManager) -> None:
    """Report ``cm_*`` functions that match no hook spec (pluggy accepts them silently)."""
    known = {n for n in dir(hookspecs) if n.startswith("cm_")}
    for name, plugin in list(pm.list_name_plugin()):
        if plugin is None:
            continue
        for attr in dir(plugin):
            if attr.startswith("cm_") and attr not in known and callable(getattr(plugin, attr, None)):
                opts = pm.parse_hookimpl_opts(plugin, attr)
                if opts is not None:
                    pm.warnings.append(
                        f"plugin {name!r} ({pm.distribution_of(name)}) implements unknown hook {attr!r}"
                    )


def _version() -> str:
    from cmcore import __version__

    return __version__
