"""Hook markers and a hook manager that behaves like pluggy's for the hooks cm uses.

Importing pluggy costs ~10 ms (it imports ``inspect``, ``ast``, ``dis`` and ``tokenize``),
more than a replayed ``cm find``, and every command builds a plugin manager. This module
gives the same markers (``@hookimpl(tryfirst=True)`` stores the same ``cm_impl`` options
dict on the function that pluggy's marker stores, so pluggy reads them too) and a manager
that registers plugins, orders and calls implementations as pluggy does: ``trylast`` ones
last, ``tryfirst`` ones first, the others newest first; ``firstresult`` hooks stop at the
first result that is not None; each implementation gets only the arguments it names.

Everything beyond that (hook wrappers, tracing, historic hooks, call monitoring, any other
pluggy API) switches the manager to a real :class:`pluggy.PluginManager`, rebuilt with the
same plugins in the same order, to which every later call then goes. ``tests/test_hooks.py``
checks the two against each other.
"""

from __future__ import annotations

import types

TYPE_CHECKING = False  # no `typing` import on the path of every command
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_IMPL_KEYS = ("wrapper", "hookwrapper", "optionalhook", "tryfirst", "trylast", "specname")


class HookspecMarker:
    """``@hookspec`` / ``@hookspec(firstresult=True)``: marks a hook specification."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(self, function: Any = None, firstresult: bool = False, historic: bool = False,
                 warn_on_impl: Any = None, warn_on_impl_args: Any = None) -> Any:
        def mark(func: Any) -> Any:
            if historic and firstresult:
                raise ValueError("cannot have a historic firstresult hook")
            setattr(func, self.project_name + "_spec", {
                "firstresult": firstresult, "historic": historic, "warn_on_impl": warn_on_impl,
                "warn_on_impl_args": warn_on_impl_args})
            return func

        return mark if function is None else mark(function)


class HookimplMarker:
    """``@hookimpl`` / ``@hookimpl(tryfirst=True)``: marks a hook implementation."""

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name

    def __call__(self, function: Any = None, hookwrapper: bool = False, optionalhook: bool = False,
                 tryfirst: bool = False, trylast: bool = False, specname: str | None = None,
                 wrapper: bool = False) -> Any:
        def mark(func: Any) -> Any:
            setattr(func, self.project_name + "_impl", {
                "wrapper": wrapper, "hookwrapper": hookwrapper, "optionalhook": optionalhook,
                "tryfirst": tryfirst, "trylast": trylast, "specname": specname})
            return func

        return mark if function is None else mark(function)


class PluginValidationError(Exception):
    """A hook implementation that does not fit its specification."""

    def __init__(self, plugin: object, message: str) -> None:
        super().__init__(message)
        self.plugin = plugin


class HookCallError(Exception):
    """A hook was called without an argument an implementation needs."""


_ROUTINES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType, types.BuiltinMethodType,
             types.WrapperDescriptorType, types.MethodWrapperType, types.MethodDescriptorType,
             types.ClassMethodDescriptorType)


def _isroutine(obj: object) -> bool:
    """``inspect.isroutine`` without importing ``inspect``."""
    if isinstance(obj, _ROUTINES):
        return True
    if isinstance(obj, type):
        return False
    tp = type(obj)  # a method descriptor (e.g. a function wrapped by functools.lru_cache)
    return hasattr(tp, "__get__") and not hasattr(tp, "__set__") and not hasattr(tp, "__delete__")


def argnames(func: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Positional parameter names of a callable without and with defaults, as pluggy reads
    them: a class means its ``__init__``, a bound method drops its first parameter, and a
    function defined in a class drops a first ``self``/``cls``."""
    bound = False
    if isinstance(func, type):
        try:
            func = func.__init__  # type: ignore[misc]
        except AttributeError:
            return (), ()
        bound = True
    elif not isinstance(func, _ROUTINES):
        func = getattr(func, "__call__", func)  # noqa: B004 - the attribute itself is wanted
    if isinstance(func, types.MethodType):
        bound = True
    seen = 0
    while hasattr(func, "__wrapped__") and seen < 100:  # what functools.wraps hides
        func = func.__wrapped__
        seen += 1
    if isinstance(func, types.MethodType):
        bound = True
        func = func.__func__
    try:
        code = func.__code__
        defaults = func.__defaults__
        qualname = func.__qualname__
    except AttributeError:
        return (), ()
    args = code.co_varnames[:code.co_argcount]
    if defaults:
        args, kwargs = args[:-len(defaults)], args[-len(defaults):]
    else:
        kwargs = ()
    if args and (bound or ("." in qualname and args[0] in ("self", "cls"))):
        args = args[1:]
    return args, kwargs


class HookImpl:
    """One implementation: the attributes pluggy's ``HookImpl`` has that callers read."""

    def __init__(self, plugin: object, plugin_name: str, function: Callable, opts: dict) -> None:
        self.function = function
        self.argnames, self.kwargnames = argnames(function)
        self.plugin = plugin
        self.opts = opts
        self.plugin_name = plugin_name
        self.wrapper = bool(opts.get("wrapper"))
        self.hookwrapper = bool(opts.get("hookwrapper"))
        self.optionalhook = bool(opts.get("optionalhook"))
        self.tryfirst = bool(opts.get("tryfirst"))
        self.trylast = bool(opts.get("trylast"))

    def __repr__(self) -> str:
        return f"<HookImpl plugin_name={self.plugin_name!r}, plugin={self.plugin!r}>"


class HookCaller:
    """``pm.hook.NAME``: call it with keyword arguments, or list its implementations."""

    def __init__(self, name: str, manager: LitePluginManager, spec: Any = None, spec_opts: dict | None = None) -> None:
        self.name = name
        self._manager = manager
        self._impls: list[HookImpl] = []  # pluggy's order: plain ones, then wrappers; called from the end
        self.spec_function = spec
        self.spec_opts = spec_opts or {}
        self.spec_argnames = argnames(spec)[0] if spec is not None else None

    def has_spec(self) -> bool:
        return self.spec_function is not None

    def get_hookimpls(self) -> list[HookImpl]:
        real = self._manager._real
        if real is not None:
            return getattr(real.hook, self.name).get_hookimpls()
        return list(self._impls)

    def _add(self, impl: HookImpl) -> None:
        impls = self._impls
        split = next((k for k, x in enumerate(impls) if x.wrapper or x.hookwrapper), len(impls))
        start, end = (split, len(impls)) if (impl.wrapper or impl.hookwrapper) else (0, split)
        if impl.trylast:
            impls.insert(start, impl)
        elif impl.tryfirst:
            impls.insert(end, impl)
        else:
            k = end - 1
            while k >= start and impls[k].tryfirst:
                k -= 1
            impls.insert(k + 1, impl)

    def _remove(self, plugin: object) -> bool:
        before = len(self._impls)
        self._impls = [x for x in self._impls if x.plugin is not plugin]
        return len(self._impls) != before

    def __call__(self, **kwargs: Any) -> Any:
        mgr = self._manager
        if mgr._real is None and any(x.wrapper or x.hookwrapper for x in self._impls):
            mgr._upgrade()
        if mgr._real is not None:
            return getattr(mgr._real.hook, self.name)(**kwargs)
        firstresult = bool(self.spec_opts.get("firstresult"))
        results = []
        for impl in reversed(self._impls):
            try:
                args = [kwargs[a] for a in impl.argnames]
            except KeyError:
                for a in impl.argnames:
                    if a not in kwargs:
                        raise HookCallError(f"hook call must provide argument {a!r}") from None
                raise
            res = impl.function(*args)
            if res is not None:
                results.append(res)
                if firstresult:
                    break
        if firstresult:
            return results[0] if results else None
        return results

    def __repr__(self) -> str:
        return f"<HookCaller {self.name!r}>"


class _Relay:
    """``pm.hook``: the hook callers by name."""


class LitePluginManager:
    """The part of :class:`pluggy.PluginManager` that cm uses, without importing pluggy.

    Any attribute it lacks (and hook wrappers, on their first call) switches it to a real
    pluggy manager holding the same plugins; from then on every method goes there.
    """

    def __init__(self, project_name: str) -> None:
        self.project_name = project_name
        self._name2plugin: dict[str, object] = {}  # None: blocked
        self._order: list[str] = []  # registration order (a re-registered name moves last)
        self._spec_modules: list[object] = []
        self._real: Any = None
        self.hook: Any = _Relay()

    # -- what pluggy's manager does, for the plain case ---------------------------------------
    def add_hookspecs(self, module_or_class: object) -> None:
        if self._real is not None:
            self._real.add_hookspecs(module_or_class)
            return
        found = False
        for name in dir(module_or_class):
            opts = self.parse_hookspec_opts(module_or_class, name)
            if opts is None:
                continue
            found = True
            spec = getattr(module_or_class, name)
            caller = getattr(self.hook, name, None)
            if caller is None:
                setattr(self.hook, name, HookCaller(name, self, spec, opts))
            elif caller.has_spec():
                raise ValueError(f"Hook {name!r} is already registered within namespace {module_or_class}")
            else:  # implementations came first; they must fit the spec now
                caller.spec_function, caller.spec_opts = spec, opts
                caller.spec_argnames = argnames(spec)[0]
                for impl in caller._impls:
                    self._verify(caller, impl)
            if opts.get("historic") or opts.get("warn_on_impl") or opts.get("warn_on_impl_args"):
                self._spec_modules.append(module_or_class)
                self._upgrade()
                return
        if not found:
            raise ValueError(f"did not find any {self.project_name!r} hooks in {module_or_class!r}")
        self._spec_modules.append(module_or_class)

    def parse_hookspec_opts(self, module_or_class: object, name: str) -> dict | None:
        method = getattr(module_or_class, name, None)
        opts = getattr(method, self.project_name + "_spec", None)
        return opts if isinstance(opts, dict) else None

    def parse_hookimpl_opts(self, plugin: object, name: str) -> dict | None:
        try:
            method = getattr(plugin, name)
        except Exception:  # noqa: BLE001 - a property that raises is not a hook
            return None
        if not _isroutine(method):
            return None
        try:
            res = getattr(method, self.project_name + "_impl", None)
        except Exception:  # noqa: BLE001
            res = {}
        return res if res is None or isinstance(res, dict) else None

    def get_canonical_name(self, plugin: object) -> str:
        name: str | None = getattr(plugin, "__name__", None)
        return name or str(id(plugin))

    def register(self, plugin: object, name: str | None = None) -> str | None:
        if self._real is not None:
            return self._real.register(plugin, name)
        plugin_name = name or self.get_canonical_name(plugin)
        if plugin_name in self._name2plugin:
            if self._name2plugin[plugin_name] is None:
                return None  # blocked
            raise ValueError(f"Plugin name already registered: {plugin_name}={plugin}\n{self._name2plugin}")
        if any(p is plugin for p in self._name2plugin.values()):
            raise ValueError(f"Plugin already registered under a different name: {plugin_name}={plugin}\n"
                             f"{self._name2plugin}")
        impls = []
        for attr in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            for k in _IMPL_KEYS:
                opts.setdefault(k, False if k != "specname" else None)
            impl = HookImpl(plugin, plugin_name, getattr(plugin, attr), opts)
            hook_name = opts.get("specname") or attr
            caller = getattr(self.hook, hook_name, None)
            if caller is not None and caller.has_spec():
                self._verify(caller, impl)
            impls.append((hook_name, impl))
        self._name2plugin[plugin_name] = plugin
        self._order.append(plugin_name)
        for hook_name, impl in impls:
            caller = getattr(self.hook, hook_name, None)
            if caller is None:
                caller = HookCaller(hook_name, self)
                setattr(self.hook, hook_name, caller)
            caller._add(impl)
        return plugin_name

    def _verify(self, caller: HookCaller, impl: HookImpl) -> None:
        if (impl.wrapper or impl.hookwrapper) and caller.spec_opts.get("historic"):
            raise PluginValidationError(impl.plugin, f"Plugin {impl.plugin_name!r}\nhook {caller.name!r}\n"
                                                     "historic incompatible with yield/wrapper/hookwrapper")
        missing = [a for a in impl.argnames if a not in (caller.spec_argnames or ())]
        if missing:
            raise PluginValidationError(
                impl.plugin,
                f"Plugin {impl.plugin_name!r} for hook {caller.name!r}\nhookimpl definition: {impl.function!r}\n"
                f"Argument(s) {set(missing)} are declared in the hookimpl but can not be found in the hookspec")
        if (impl.wrapper or impl.hookwrapper) and not (
                isinstance(impl.function, types.FunctionType | types.MethodType)
                and getattr(impl.function, "__code__", None) is not None
                and impl.function.__code__.co_flags & 0x20):  # CO_GENERATOR
            raise PluginValidationError(
                impl.plugin, f"Plugin {impl.plugin_name!r} for hook {caller.name!r}\nhookimpl definition: "
                             f"{impl.function!r}\nDeclared as wrapper=True or hookwrapper=True but function is "
                             "not a generator function")

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        if self._real is not None:
            return self._real.unregister(plugin, name)
        if name is None:
            if plugin is None:
                raise AssertionError("one of name or plugin needs to be specified")
            name = self.get_name(plugin)
            if name is None:
                raise ValueError(f"Plugin {plugin!r} is not registered")
        if plugin is None:
            plugin = self.get_plugin(name)
            if plugin is None:
                return None
        for caller in vars(self.hook).values():
            caller._remove(plugin)
        if self._name2plugin.get(name):
            del self._name2plugin[name]
            self._order.remove(name)
        return plugin

    def set_blocked(self, name: str) -> None:
        if self._real is not None:
            self._real.set_blocked(name)
            return
        self.unregister(name=name)
        self._name2plugin[name] = None

    def is_blocked(self, name: str) -> bool:
        if self._real is not None:
            return bool(self._real.is_blocked(name))
        return name in self._name2plugin and self._name2plugin[name] is None

    def get_plugin(self, name: str) -> Any:
        if self._real is not None:
            return self._real.get_plugin(name)
        return self._name2plugin.get(name)

    def has_plugin(self, name: str) -> bool:
        return self.get_plugin(name) is not None

    def get_name(self, plugin: object) -> str | None:
        if self._real is not None:
            return self._real.get_name(plugin)
        for name, p in self._name2plugin.items():
            if p is plugin:
                return name
        return None

    def get_plugins(self) -> set[Any]:
        if self._real is not None:
            return set(self._real.get_plugins())
        return {p for p in self._name2plugin.values() if p is not None}

    def is_registered(self, plugin: object) -> bool:
        return any(p is plugin for p in self.get_plugins())

    def list_name_plugin(self) -> list[tuple[str, Any]]:
        if self._real is not None:
            return list(self._real.list_name_plugin())
        return list(self._name2plugin.items())

    def get_hookcallers(self, plugin: object) -> list[Any] | None:
        if self._real is not None:
            return self._real.get_hookcallers(plugin)
        if self.get_name(plugin) is None:
            return None
        return [c for c in vars(self.hook).values() if any(x.plugin is plugin for x in c._impls)]

    # -- everything else: a real pluggy manager ------------------------------------------------
    def _upgrade(self) -> Any:
        if self._real is None:
            import pluggy

            real = pluggy.PluginManager(self.project_name)
            for module in self._spec_modules:
                real.add_hookspecs(module)  # type: ignore[arg-type]
            for name, plugin in self._name2plugin.items():
                if plugin is None:
                    real.set_blocked(name)
            for name in self._order:
                real.register(self._name2plugin[name], name=name)
            self._real = real
            self.hook = real.hook
        return self._real

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_real", "_name2plugin", "_order", "_spec_modules", "hook"):
            raise AttributeError(name)
        return getattr(self._upgrade(), name)
