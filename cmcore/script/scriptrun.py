"""``ScriptRun``: one resolved script run, and how it is built (CM-FORMAT §3.5 steps 2-10).

The builder works on a deep copy of the meta, so a run never mutates the artifact's meta
(flaw 5), and on the *live* env and state dicts of the caller (restored by the engine when
the run ends).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from cmcore.records import field, record
from cmcore.script import depspec as D
from cmcore.script import envmodel as E
from cmcore.script import versions as VV
from cmcore.script.conditions import enabled
from cmcore.script.dialect import DIALECTS, Dialect
from cmcore.script.flags import RunFlags
from cmcore.script.tagquery import ScriptQuery
from cmcore.script.variations import Resolved, group_of, resolve

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

# Input flags copied into env as <PREFIX><UPPER> (CM-FORMAT §3.5 step 3).
INPUT_TO_ENV = ("input", "output", "outdirname", "outbasename", "name", "extra_cache_tags", "skip_compile",
                "skip_run", "accept_license", "skip_system_deps", "git_ssh", "gh_token")
HOST_VARS = ("GH_TOKEN", "http_proxy", "https_proxy", "ftp_proxy", "socks_proxy", "no_proxy",
             "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "SOCKS_PROXY", "NO_PROXY")


@record
class ScriptRun:
    """Everything about one run of one script; ``Component(kind="script").data`` is this."""

    session: Any
    artifact: Any
    dialect: Dialect
    inp: dict
    flags: RunFlags
    query: ScriptQuery
    env: dict
    state: dict
    const: dict
    const_state: dict
    meta: dict = field(default_factory=dict)  # resolved meta (a copy); customize.py may change it
    variations: Resolved = field(default_factory=Resolved)
    deps: dict[str, list[dict]] = field(default_factory=dict)
    adr: dict = field(default_factory=dict)  # recursive patches for this level and below (own copy)
    new_env_keys: list[str] = field(default_factory=list)
    new_state_keys: list[str] = field(default_factory=list)
    script_name: str = ""
    default_version: str = ""
    version_req: VV.VersionRequest = field(default_factory=VV.VersionRequest)
    version: str = ""
    warnings: list[str] = field(default_factory=list)
    umie_blocks: list[dict] = field(default_factory=list)  # update_meta_if_env blocks seen so far
    umie_applied: list[int] = field(default_factory=list)
    extra_cache_tags: list[str] = field(default_factory=list)
    entry_cwd: Path = field(default_factory=Path.cwd)
    cwd: Path = field(default_factory=Path.cwd)
    deps_run: list[str] = field(default_factory=list)  # tag strings of direct deps, in order
    # what the cache plugin reads (docs/internals.md, "Cache store")
    cache: bool = False
    cache_key: Any = None
    version_min: str = ""
    version_max: str = ""
    validate: Any = None
    new: bool = False
    renew: bool = False
    skip_cache: bool = False
    # set by the native runner
    skipped: bool = False
    replacement_result: dict | None = None
    hook_version: str = ""
    native_result: Any = None
    work_started: bool = False  # cm_run was reached in the work folder (there may be tmp files)
    tmp_before: set[str] = field(default_factory=set)  # tmp-* files in the work folder before the run

    @property
    def alias(self) -> str:
        return str(self.artifact.alias or self.artifact.uid or "?")

    @property
    def uid(self) -> str:
        return str(self.artifact.uid or "")

    @property
    def path(self) -> Path:
        return Path(self.artifact.path)

    def key(self, suffix: str) -> str:
        return self.dialect.key(suffix)

    def tmp(self, suffix: str) -> str:
        return self.dialect.tmp(suffix)

    def reapply_const(self) -> None:
        self.env.update(copy.deepcopy(self.const))
        E.deep_merge(self.state, self.const_state)

    def normalise(self) -> None:
        E.normalise(self.env)
        E.rewrite_git_url(self.env, self.dialect.prefix)

    def group_of(self, name: str) -> str | None:
        return group_of(self.meta.get("variations") or {}, name)


def _listify(v: Any) -> list[str]:
    if not v:
        return []
    if isinstance(v, str):
        return [x.strip() for x in v.split(",") if x.strip()]
    return [str(x) for x in v]


def _env_value(v: Any) -> Any:
    return "yes" if v is True else v


def apply_fragment(run: ScriptRun, frag: dict, *, name: str = "") -> None:
    """Apply a variation / version / update_meta_if_env fragment (CM-FORMAT §3.5, fragment rules)."""
    E.setdefaults(run.env, frag.get("default_env") or {})
    run.env.update(copy.deepcopy(frag.get("env") or {}))
    for block in frag.get("update_meta_if_env") or []:
        if isinstance(block, dict):
            run.umie_blocks.append(copy.deepcopy(block))
    apply_update_meta_if_env(run)
    const = frag.get("const") or {}
    run.const.update(copy.deepcopy(const))
    run.env.update(copy.deepcopy(const))
    E.deep_merge(run.state, frag.get("state") or {})
    E.deep_merge(run.const_state, frag.get("const_state") or {})
    E.deep_merge(run.state, frag.get("const_state") or {})
    for lname in D.DEP_LISTS:
        if frag.get(lname):
            run.deps[lname] = D.append_deps(run.deps.get(lname) or [], frag[lname])
    ad = frag.get("ad") or frag.get("add_deps")
    if ad:
        D.patch_deps(run.deps, ad, run.env, strict=True, script=run.alias)
    adr = frag.get("adr") or frag.get("add_deps_recursive")
    if adr:
        run.adr = D.merge_patches(run.adr, adr)
    for flag, key in (frag.get("input_mapping") or {}).items():
        if flag in run.inp and run.inp[flag] is not None:
            run.env[key] = _env_value(run.inp[flag])
    if frag.get("docker"):
        run.state.setdefault("docker", {})
        E.deep_merge(run.state["docker"], frag["docker"])
    run.new_env_keys.extend(_listify(frag.get("new_env_keys")))
    run.new_state_keys.extend(_listify(frag.get("new_state_keys")))
    if frag.get("script_name"):
        run.script_name = str(frag["script_name"])
    if frag.get("default_version"):
        run.default_version = str(frag["default_version"])
    if frag.get("warning"):
        run.warnings.append(str(frag["warning"]))
    for w in frag.get("warnings") or []:
        run.warnings.append(str(w))


def apply_update_meta_if_env(run: ScriptRun) -> None:
    """Apply each pending ``update_meta_if_env`` block whose conditions hold (each at most once)."""
    for idx, block in enumerate(run.umie_blocks):
        if idx in run.umie_applied or not enabled(block, run.env):
            continue
        run.umie_applied.append(idx)
        inner = {k: v for k, v in block.items() if k != "update_meta_if_env"}
        apply_fragment(run, inner, name="update_meta_if_env")


def _os_and_input_env(run: ScriptRun) -> None:
    env, i, p = run.env, run.inp, run.dialect.prefix
    if os.name == "nt":
        env[p + "WINDOWS"] = "yes"
    for k in HOST_VARS:
        if k not in env and os.environ.get(k):
            env[k] = os.environ[k]
    if i.get("path") not in (None, "", True, False):
        env[run.tmp("PATH")] = str(i["path"])
    for k in INPUT_TO_ENV:
        if i.get(k) not in (None, "", False):
            env[p + k.upper()] = _env_value(i[k])
    env[run.tmp("CURRENT_PATH")] = str(run.entry_cwd)
    f = run.flags
    if f.quiet:
        env[p + "QUIET"] = "yes"
    if f.silent:
        env[run.tmp("SILENT")] = "yes"
    if f.verbose:
        env[p + "VERBOSE"] = "yes"
    if f.fake_run:
        env[run.tmp("FAKE_RUN")] = "yes"
    if f.fake_deps:
        env[run.tmp("FAKE_DEPS")] = "yes"
    if i.get("skip_sys_utils") not in (None, False, ""):
        env[p + "SKIP_SYS_UTILS"] = "yes"
    if i.get("skip_sudo") not in (None, False, ""):
        env[(p + "SKIP_SUDO") if run.dialect.name == "mlc" else run.tmp("SKIP_SUDO")] = "yes"
    if run.dialect.name == "mlc" and "MLC_USER_RUN_DIR" not in run.const:
        # MLC: the user's original cwd, const for the whole tree (CM's TMP_CURRENT_PATH is per level)
        run.const["MLC_USER_RUN_DIR"] = env.get("MLC_USER_RUN_DIR") or str(run.entry_cwd)
    repo = getattr(run.artifact, "repo", None)
    if repo is not None:
        env[run.tmp("CURRENT_SCRIPT_REPO_PATH")] = str(repo.path)
        env[run.tmp("CURRENT_SCRIPT_REPO_PATH_WITH_PREFIX")] = str(getattr(repo, "content_path", repo.path))


def build(run: ScriptRun) -> None:
    """Build env/state/const, variations, versions and dep lists, in the normative order."""
    meta = run.meta
    run.deps = {k: copy.deepcopy(meta.get(k) or []) for k in D.DEP_LISTS}
    run.script_name = str(meta.get("script_name") or "")
    run.default_version = str(meta.get("default_version") or "")
    run.warnings.extend(str(w) for w in meta.get("warnings") or [])
    _os_and_input_env(run)
    # meta: default_env (setdefault), env (overwrite), state (merge), const
    E.setdefaults(run.env, meta.get("default_env") or {})
    run.env.update(copy.deepcopy(meta.get("env") or {}))
    E.deep_merge(run.state, meta.get("state") or {})
    run.const.update(copy.deepcopy(meta.get("const") or {}))
    E.deep_merge(run.const_state, meta.get("const_state") or {})
    # input_mapping: env and const
    for flag, key in (meta.get("input_mapping") or {}).items():
        if flag in run.inp and run.inp[flag] is not None:
            run.env[key] = run.const[key] = _env_value(run.inp[flag])
    run.reapply_const()
    run.new_env_keys = _listify(meta.get("new_env_keys"))
    run.new_state_keys = _listify(meta.get("new_state_keys"))
    run.adr = D.merge_patches({}, meta.get("adr") or meta.get("add_deps_recursive") or {})
    if meta.get("ad") or meta.get("add_deps"):
        D.patch_deps(run.deps, meta.get("ad") or meta.get("add_deps"), run.env, strict=True, script=run.alias)
    for block in meta.get("update_meta_if_env") or []:
        if isinstance(block, dict):
            run.umie_blocks.append(copy.deepcopy(block))
    apply_update_meta_if_env(run)
    # variations
    run.variations = resolve(
        meta.get("variations") or {}, run.query.variations, run.query.excluded,
        default_variation=meta.get("default_variation"),
        valid_combinations=meta.get("valid_variation_combinations"),
        invalid_combinations=meta.get("invalid_variation_combinations"),
        script=run.alias,
    )
    for name, frag in run.variations.fragments:
        apply_fragment(run, frag, name=name)
    run.reapply_const()
    # versions
    run.version_req = VV.choose(run.inp, run.env, meta, run.dialect.prefix)
    VV.write_env(run.version_req, run.env, run.dialect.prefix)
    versions = meta.get("versions") or {}
    if run.version_req.version and isinstance(versions.get(run.version_req.version), dict):
        apply_fragment(run, copy.deepcopy(versions[run.version_req.version]), name="version")
    run.version_min = run.version_req.version_min
    run.version_max = run.version_req.version_max
    # input patches: ad (this level), adr (this level and below)
    ad = run.inp.get("ad") or run.inp.get("add_deps")
    if isinstance(ad, dict) and ad:
        D.patch_deps(run.deps, ad, run.env, strict=True, script=run.alias)
    inp_adr = run.inp.get("adr") or run.inp.get("add_deps_recursive")
    if isinstance(inp_adr, dict):
        run.adr = D.merge_patches(run.adr, inp_adr)
    D.patch_deps(run.deps, run.adr, run.env)
    run.normalise()
    run.reapply_const()
    run.meta.update({k: run.deps[k] for k in D.DEP_LISTS})


def apply_default_version(run: ScriptRun) -> str:
    """On execution only: clamp ``default_version``, write it, apply *its* fragment (flaw 7 fixed)."""
    if run.version_req.version or not run.default_version:
        return run.version_req.version
    versions = run.meta.get("versions") or {}
    v = VV.clamp_default(run.default_version, run.version_req)
    run.version_req.version = v
    run.env[run.key("VERSION")] = v
    if isinstance(versions.get(v), dict):
        apply_fragment(run, copy.deepcopy(versions[v]), name="version")
        D.patch_deps(run.deps, run.adr, run.env)
        run.meta.update({k: run.deps[k] for k in D.DEP_LISTS})
    run.reapply_const()
    return v


def dialect_of(artifact: Any) -> Dialect:
    return DIALECTS.get(str(getattr(artifact, "dialect", "cm") or "cm"), DIALECTS["cm"])
