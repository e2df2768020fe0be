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
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pluggy

from cmcore import hookspecs
from cmcore.errors import CMError

PROJECT = "cm"
ENTRY_POINT_GROUP = "cm"

# Built-in plugins, registered in this order. Each is an ordinary plugin module.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "cmcore.builtin.automations",
    "cmcore.builtin.native",
    "cmcore.builtin.cache",
    "cmcore.builtin.executors",
)


@dataclass
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


class CMPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from and what failed."""

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


def _env_flag(env: dict, key: str) -> bool:
    return str(env.get(key, "")).strip().lower() in ("1", "yes", "true", "on")


def _iter_entry_points() -> Iterable[Any]:
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def get_plugin_manager(
    *,
    load_entry_points: bool | None = None,
    blocked: Iterable[str] = (),
    extra_plugins: Iterable[Any] = (),
    env: dict | None = None,
    verbose: bool = False,
) -> CMPluginManager:
    """Build a fresh plugin manager.

    ``load_entry_points`` overrides ``CM_DISABLE_PLUGIN_AUTOLOAD``; ``blocked`` lists
    plugin names that must not load (``-p no:NAME``); ``extra_plugins`` are objects or
    modules registered after the built-ins (tests use this).
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
        _load_entry_points(pm, only, blocked_set, verbose)

    _check_unknown_hooks(pm)
    if _env_flag(env, "CM_TRACE_PLUGINS"):
        pm.trace.root.setwriter(lambda msg: sys.stderr.write(f"cm-trace: {msg}"))
        pm.enable_tracing()
        pm.tracing = True
    return pm


def _load_entry_points(pm: CMPluginManager, only: set[str] | None, blocked: set[str], verbose: bool) -> None:
    for ep in _iter_entry_points():
        name = ep.name.lower()
        if name in blocked or (only is not None and name not in only):
            continue
        if pm.get_plugin(name) is not None or pm.is_blocked(name):
            continue
        dist = getattr(ep, "dist", None)
        dist_name = getattr(dist, "name", "") or ""
        dist_version = getattr(dist, "version", "") or ""
        try:
            plugin = ep.load()
            pm.register(plugin, name=name)
        except Exception as exc:
            msg = f"{type(exc).__name__}: {exc}"
            if verbose:
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
