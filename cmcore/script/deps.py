"""Running a script's dependencies (CM-FORMAT §3.7, "How a dep is called").

Each dep is a nested ``run`` through ``session.access`` with the caller's env and state
*objects*, copies of const/const_state/adr, and ``recursion: True``. Run-local keys (both
dialects') and ``<<<``-pending keys are withheld from ``deps``/``prehook_deps``/
``posthook_deps`` and put back afterwards; ``post_deps`` withhold only
``clean_env_keys_post_deps`` (CM quirk, kept).
"""

from __future__ import annotations

import copy

from cmcore.errors import CMError
from cmcore.script import depspec as D
from cmcore.script import envmodel as E
from cmcore.script.conditions import enabled
from cmcore.script.flags import is_true

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

# Dep fields that steer the call and are not passed on as run input.
SPECIAL = {
    "tags", "names", "enable_if_env", "skip_if_env", "enable_if_any_env", "skip_if_any_env", "env", "state",
    "const", "const_state", "update_tags_from_env_with_prefix", "update_tags_from_env", "inherit_variation_tags",
    "skip_inherit_variation_groups", "force_env_keys", "reuse_version", "dynamic", "skip_if_fake_run", "adr",
    "add_deps_recursive",
}


def run_deps(run: Any, list_name: str, *, only_dynamic: bool = False) -> None:
    """Run one of the four dep lists of ``run`` in order; a failing dep aborts with its error."""
    deps = run.meta.get(list_name) if isinstance(run.meta.get(list_name), list) else run.deps.get(list_name)
    if not deps:
        return
    post = list_name == "post_deps"
    for dep in list(deps):
        if not isinstance(dep, dict):
            continue
        call_dep(run, dep, post=post, only_dynamic=only_dynamic, list_name=list_name)


def _withheld_patterns(run: Any, post: bool) -> list[str]:
    if post:
        return [str(k) for k in run.meta.get("clean_env_keys_post_deps") or []]
    return E.local_key_patterns(extra=[str(k) for k in run.meta.get("local_env_keys") or []])


def call_dep(run: Any, dep: dict, *, post: bool = False, only_dynamic: bool = False,
             list_name: str = "deps") -> dict | None:
    """Call one dep (or skip it); return its result, or None when skipped."""
    dep = copy.deepcopy(dep)  # never mutate the meta's dep dicts (flaw 5)
    if not dep.get("tags"):
        return None
    if only_dynamic and not is_true(dep.get("dynamic")):
        return None
    if not enabled(dep, run.env):
        return None
    if is_true(dep.get("skip_if_fake_run")) and run.flags.fake_run:
        return None
    local_env = {k: E.substitute_placeholders(v, run.env) for k, v in (dep.get("env") or {}).items()}
    dep["env"] = local_env
    D.update_tags_from_env(dep, run.env)
    tags = D.tag_list(dep.get("tags"))
    for t in D.inherited_variations(dep, run.variations.names, run.group_of):
        if t not in tags:
            tags.append(t)
    tag_string = D.join_tags(tags)
    run.deps_run.append(tag_string)
    if run.flags.print_deps:
        run.session.log.info(f"{_indent(run)}cm run script --tags={tag_string}")
    if run.flags.fake_deps and not run.flags.dry_run:
        return None

    keep = [str(k) for k in dep.get("force_env_keys") or []]
    if is_true(dep.get("reuse_version")):
        keep.extend(E.version_keys(run.dialect.prefix))
    patterns = _withheld_patterns(run, post) + ([] if post else E.pending_keys(run.env))
    taken = E.withhold(run.env, patterns, keep)
    try:
        i = _dep_input(run, dep, tag_string, local_env)
        r = run.session.access(i)
    finally:
        E.give_back(run.env, taken)
        run.normalise()
        run.reapply_const()
    if r.get("return", 0):
        raise CMError(str(r.get("error", "dependency failed")), int(r["return"]), **_extra(r))
    return r


def _extra(r: dict) -> dict:
    return {k: r[k] for k in ("log_path", "script_path") if k in r}


def _indent(run: Any) -> str:
    from cmcore.script.context import current

    ctx = current()
    return "  " * (ctx.depth if ctx else 0)


def _dep_input(run: Any, dep: dict, tag_string: str, local_env: dict) -> dict:
    adr = D.merge_patches(run.adr, dep.get("adr") or dep.get("add_deps_recursive") or {})
    i: dict[str, Any] = {
        "action": "run",
        "automation": "script",
        "tags": tag_string,
        "env": run.env,
        "state": run.state,
        "const": copy.deepcopy(run.const),
        "const_state": copy.deepcopy(run.const_state),
        "add_deps_recursive": adr,
        "recursion": True,
        "local_env": local_env,
        "local_state": copy.deepcopy(dep.get("state") or {}),
        "local_const": copy.deepcopy(dep.get("const") or {}),
        "local_const_state": copy.deepcopy(dep.get("const_state") or {}),
    }
    f = run.flags
    for name, on in (("s", f.silent), ("v", f.verbose), ("quiet", f.quiet), ("time", f.time), ("dry_run", f.dry_run),
                     ("print_deps", f.print_deps), ("fake_deps", f.fake_deps and f.dry_run),
                     ("skip_remembered_selections", f.skip_remembered_selections)):
        if on:
            i[name] = True
    for k, v in dep.items():
        if k not in SPECIAL:
            i[k] = copy.deepcopy(v)
    return i
