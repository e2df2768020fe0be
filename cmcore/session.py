"""The session: the context every part of the core receives instead of globals.

A session knows its CM home, builds its plugin manager and database lazily, and
dispatches :meth:`Session.access`. ``cmcore.access`` uses a default session per process;
tests and embedders create their own ``Session(home=...)``. While an action runs, the
session is the *current* one (a context variable), so code deep inside a script run
(``customize.py`` calling ``cmind.access``) reaches the same session.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Mapping
from pathlib import Path

from cmcore.log import INFO, Logger

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

    from cmcore.plugins import CMPluginManager

_current: contextvars.ContextVar[Session | None] = contextvars.ContextVar("cm_session", default=None)
_default: Session | None = None


def default_home(env: dict | None = None) -> Path:
    """``$CM_HOME``, else the platform's user data dir for ``cm``."""
    source: Mapping[str, str] = os.environ if env is None else env
    if source.get("CM_HOME"):
        return Path(source["CM_HOME"]).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("cm", appauthor=False))


class Session:
    """Everything one CM process (or one test) works with."""

    def __init__(
        self,
        home: str | os.PathLike | None = None,
        *,
        pm: CMPluginManager | None = None,
        env: dict | None = None,
        blocked_plugins: tuple[str, ...] = (),
        extra_plugins: tuple[Any, ...] = (),
        load_entry_points: bool | None = None,
        logger: Logger | None = None,
    ) -> None:
        self.env = dict(os.environ) if env is None else dict(env)
        self.home = Path(home).resolve() if home is not None else default_home(self.env)
        self._pm = pm
        self._blocked = blocked_plugins
        self._extra = extra_plugins
        self._load_entry_points = load_entry_points
        self.log = logger or Logger(INFO)
        self._db: Any = None
        self._automations: dict[str, Any] | None = None
        self._automation_objects: dict[str, Any] = {}
        self.cache: dict[str, Any] = {}  # per-session memo (os info, device list, ...)
        self._redactor: Any = None
        self._warned = False
        # a cmcore.replay.Recorder while the cm process records what this command reads
        self.replay: Any = None

    # -- plugins ---------------------------------------------------------------------
    @property
    def pm(self) -> CMPluginManager:
        if self._pm is None:
            from cmcore.plugins import get_plugin_manager

            self._pm = get_plugin_manager(
                blocked=self._blocked,
                extra_plugins=self._extra,
                load_entry_points=self._load_entry_points,
                env=self.env,
                verbose=self.log.level > INFO,
                cache_dir=self.home / "index",
            )
        if not self._warned:
            self._warned = True
            for w in self._pm.warnings:
                self.log.warning(w)
        return self._pm

    # -- secrets -----------------------------------------------------------------------
    @property
    def redactor(self) -> Any:
        """The session's :class:`cmcore.secrets.Redactor`: every secret value a run sees (from
        the environment, flags such as ``--gh_token``, ``--env.X_TOKEN``) is masked in what the
        session prints or writes."""
        if self._redactor is None:
            from cmcore.secrets import Redactor

            self._redactor = Redactor().observe(self.env)
        return self._redactor

    # -- database --------------------------------------------------------------------
    @property
    def db(self) -> Any:
        if self._db is None:
            from cmcore.db import Database

            self._db = Database(self)
        return self._db

    # -- automations -----------------------------------------------------------------
    def automation_specs(self) -> dict[str, Any]:
        if self._automations is None:
            self._automations = self.pm.registered_records("cm_automations")
        return self._automations

    def find_automation_spec(self, name: str) -> Any | None:
        """Find an automation by alias, uid, ``alias,uid`` or one of its aliases."""
        from cmcore.refs import parse_ref

        specs = self.automation_specs()
        alias, uid = parse_ref(name)
        for spec in specs.values():
            if uid and spec.uid == uid:
                return spec
        if alias:
            a = alias.lower()
            for spec in specs.values():
                if spec.name == a or a in spec.aliases:
                    return spec
        return None

    def automation(self, name: str) -> Any:
        """The automation object for ``name`` (created once per session)."""
        from cmcore.errors import NOT_FOUND_AUTOMATION, CMError

        spec = self.find_automation_spec(name)
        if spec is None:
            from cmcore.suggest import did_you_mean

            names = sorted({n for s in self.automation_specs().values() for n in (s.name, *s.aliases)})
            raise CMError(f'automation "{name}" not found{did_you_mean(name, names)}', NOT_FOUND_AUTOMATION)
        obj = self._automation_objects.get(spec.name)
        if obj is None:
            obj = spec.factory(self)
            self._automation_objects[spec.name] = obj
        return obj

    # -- the API ---------------------------------------------------------------------
    def access(self, i: dict | str | list) -> dict:
        from cmcore.api import dispatch

        token = _current.set(self)
        try:
            return dispatch(self, i)
        finally:
            _current.reset(token)


def current() -> Session:
    """The session of the action now running, else the process default session."""
    s = _current.get()
    if s is not None:
        return s
    global _default
    if _default is None:
        _default = Session()
    return _default


def set_default(session: Session | None) -> None:
    """Replace the process default session (the CLI and tests use this)."""
    global _default
    _default = session
