"""Generate a Dockerfile that runs one script the way ``cmr`` ran it here.

The Dockerfile: ``FROM`` the base image (``--docker_base_image``, else the meta's
``docker.base_image``, else ``<os>:<os_version>``, default ``ubuntu:24.04``); installs Python,
git and cmcore with the plugins this session loaded; registers the repositories the script
comes from; runs ``docker.pre_run_cmds`` and ``docker.deps``; pre-runs the dependencies
(``cmr ... --fake_run``, or the real run with ``docker.real_run``); and ends with the same
``cmr`` command as ``CMD``.

How cmcore gets in (``--docker_cm_source``):

* ``pypi`` (default outside a checkout): ``pip install`` of the distribution names and versions;
* ``local`` (default when cmcore runs from a source checkout): the checkout is the build
  context (``docker build -f FILE CHECKOUT``); it is copied in and installed with pip, so the
  image runs exactly the code that generated it.

The meta ``docker`` section (CM-FORMAT §3.16) and the variations' ``docker`` fragments are
honoured for: base_image, os, os_version, pre_run_cmds, deps, real_run, fake_run_deps,
mounts, shm_size, extra_run_args, port_maps, all_gpus/gpus, interactive (the last ones go into
the suggested ``docker run`` command, since a Dockerfile cannot carry them).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmcore.secrets import is_secret_key

#: input keys that are not flags of the script run
NOT_RUN_FLAGS = frozenset({"action", "automation", "artifact", "artifacts", "tags", "cmd", "out", "parsed_automation",
                           "parsed_artifact", "parsed_artifacts", "unparsed_cmd", "dockerfile_only", "dockerfile",
                           "docker_path", "quiet", "lock", "recursion", "fake_run", "j", "json", "v", "s"})


@dataclass
class DockerPlan:
    """Everything the Dockerfile and the ``docker run`` line are made from."""

    alias: str
    tags: str
    base_image: str
    os: str
    os_version: str
    source: str  # "pypi" or "local"
    packages: list[str] = field(default_factory=list)  # pip names (pypi) or folders (local)
    repo_cmds: list[str] = field(default_factory=list)
    pre_run_cmds: list[str] = field(default_factory=list)
    dep_tags: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    secret_flags: list[str] = field(default_factory=list)
    real_run: bool = False
    run_args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def merged_docker(meta: dict, variation_names: list[str]) -> dict:
    """The meta ``docker`` dict with the active variations' ``docker`` fragments merged over it."""
    from cmcore.script.envmodel import deep_merge

    out: dict = json.loads(json.dumps(meta.get("docker") or {}, default=str))
    variations = meta.get("variations") or {}
    for name in variation_names:
        frag = variations.get(name) or {}
        if isinstance(frag, dict) and isinstance(frag.get("docker"), dict):
            deep_merge(out, frag["docker"])
    return out


def _truthy(v: Any) -> bool:
    from cmcore.script.flags import is_true

    return is_true(v)


def _flag_text(k: str, v: Any, prefix: str = "") -> list[str]:
    if isinstance(v, dict):
        return [x for kk, vv in v.items() for x in _flag_text(str(kk), vv, f"{prefix}{k}.")]
    if v is True:
        return [f"--{prefix}{k}"]
    if v is False or v is None:
        return []
    if isinstance(v, list):
        return [f"--{prefix}{k},={','.join(str(x) for x in v)}"]
    return [f"--{prefix}{k}={v}"]


def _packages(session: Any, source: str) -> list[str]:
    """The distributions to install: cmcore and every loaded plugin's distribution."""
    import cmcore

    dists: dict[str, str] = {"cmcore": cmcore.__version__}
    for info in session.pm.plugin_infos():
        if not info.builtin and info.distribution and not info.error:
            dists.setdefault(info.distribution, info.version)
    if source == "pypi":
        return [f"{d}=={v}" if v else d for d, v in sorted(dists.items())]
    from cmcore.checkout import source_tree

    root = source_tree()
    folders = ["."]
    if root is not None:
        for pyproject in sorted(root.glob("*/pyproject.toml")) + sorted(root.glob("plugins/*/pyproject.toml")):
            text = pyproject.read_text(encoding="utf-8", errors="replace")
            for d in dists:
                if d != "cmcore" and (f'name = "{d}"' in text or f"name = '{d}'" in text):
                    folders.append(pyproject.parent.relative_to(root).as_posix())
    return folders


def _repo_cmds(art: Any, plan: DockerPlan) -> None:
    repo = art.repo
    origin = str(getattr(repo, "origin", "") or "")
    if origin.startswith("package:"):
        return  # comes with its pip distribution
    if repo.alias == "local":
        plan.notes.append("the script is in the local repo: copy it into the image or move it to a git repo")
        return
    from cmcore.repro.facts import git_facts

    git = git_facts(repo.path)
    if git.get("url"):
        cmd = f"cm pull repo {shlex.quote(git['url'])}"
        if git.get("commit"):
            cmd += f" --checkout={git['commit']}"
        plan.repo_cmds.append(cmd)
    else:
        plan.notes.append(f"repo {repo.alias} is a local folder ({repo.path}): mount it and run "
                          "`cm pull repo /path` in the container")


def make_plan(session: Any, art: Any, i: dict, variation_names: list[str], tags: str) -> DockerPlan:
    """Decide base image, packages, repos, pre-run steps and the final command."""
    from cmcore.checkout import source_tree

    docker = merged_docker(art.meta or {}, variation_names)
    os_name = str(i.get("docker_os") or docker.get("os") or "ubuntu")
    os_version = str(i.get("docker_os_version") or docker.get("os_version") or "24.04")
    base = str(i.get("docker_base_image") or docker.get("base_image") or f"{os_name}:{os_version}")
    source = str(i.get("docker_cm_source") or ("local" if source_tree() else "pypi"))
    plan = DockerPlan(alias=str(art.alias or art.uid), tags=tags, base_image=base, os=os_name, os_version=os_version,
                      source=source)
    plan.packages = _packages(session, source)
    _repo_cmds(art, plan)
    plan.pre_run_cmds = [str(c) for c in docker.get("pre_run_cmds") or []]
    plan.dep_tags = [str(d["tags"]) for d in docker.get("deps") or [] if isinstance(d, dict) and d.get("tags")]
    plan.real_run = _truthy(docker.get("real_run"))
    for k, v in i.items():
        if k in NOT_RUN_FLAGS or k.startswith(("docker_", "_")):
            continue
        if is_secret_key(k) or (isinstance(v, dict) and any(is_secret_key(x) for x in v)):
            plan.secret_flags.append(k)
            if isinstance(v, dict):
                v = {x: y for x, y in v.items() if not is_secret_key(x)}
            else:
                continue
        plan.flags += _flag_text(k, v)
    args = []
    for m in docker.get("mounts") or []:
        args += ["-v", str(m)]
    if docker.get("shm_size"):
        args.append(f"--shm-size={docker['shm_size']}")
    if _truthy(docker.get("all_gpus")) or docker.get("gpus"):
        args.append(f"--gpus={docker.get('gpus') or 'all'}")
    for p in docker.get("port_maps") or []:
        args += ["-p", str(p)]
    if _truthy(docker.get("interactive")):
        args.append("-it")
    extra = docker.get("extra_run_args")
    if extra:
        args += shlex.split(str(extra))
    plan.run_args = args
    return plan


def render(plan: DockerPlan) -> str:
    """The Dockerfile text of a plan."""
    cmr = ["cmr", plan.tags.replace(",", " "), *plan.flags, "--quiet"]
    lines = [f"# Generated by `cm docker script` for {plan.alias}; edit the script meta, not this file.",
             f"FROM {plan.base_image}", "",
             "ENV DEBIAN_FRONTEND=noninteractive CM_HOME=/opt/cm/home PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1"]
    if plan.os in ("ubuntu", "debian") or "ubuntu" in plan.base_image or "debian" in plan.base_image:
        lines += ["RUN apt-get update \\", "    && apt-get install -y --no-install-recommends python3 python3-venv "
                  "python3-pip git ca-certificates sudo \\", "    && rm -rf /var/lib/apt/lists/*"]
    else:
        lines.append("# non-Debian base image: python3 (with venv and pip) and git must already be present")
    lines += ["RUN python3 -m venv /opt/cm/venv", "ENV PATH=/opt/cm/venv/bin:$PATH"]
    if plan.source == "local":
        lines += ["# build with the cmcore checkout as the context: docker build -f THIS_FILE CHECKOUT",
                  "COPY . /opt/cm/src", "WORKDIR /opt/cm/src",
                  "RUN pip install " + " ".join(f"./{p}" if p != "." else "." for p in plan.packages)]
    else:
        lines.append("RUN pip install " + " ".join(shlex.quote(p) for p in plan.packages))
    lines += [f"RUN {c}" for c in plan.repo_cmds]
    lines += [f"# {n}" for n in plan.notes]
    lines.append("WORKDIR /opt/cm/work")
    lines += [f"RUN {c}" for c in plan.pre_run_cmds]
    lines += [f'RUN cmr "{t.replace(",", " ")}" --quiet' for t in plan.dep_tags]
    pre = " ".join(shlex.quote(x) for x in cmr) + ("" if plan.real_run else " --fake_run")
    lines.append(f"# pre-run the dependencies ({'real run' if plan.real_run else '--fake_run'}) so the image has them")
    lines.append(f"RUN {pre}")
    if plan.secret_flags:
        lines.append("# secret flags are not baked in; pass them at run time: " + ", ".join(plan.secret_flags))
    lines.append("CMD " + json.dumps(cmr))
    return "\n".join(lines) + "\n"


def docker_run_command(plan: DockerPlan, image: str) -> str:
    """The ``docker run`` line for the image (mounts, shm size, GPUs and ports from the meta)."""
    return " ".join(["docker", "run", "--rm", *(shlex.quote(a) for a in plan.run_args), image])


def default_path(plan: DockerPlan) -> Path:
    return Path("dockerfiles") / f"{plan.alias}-{plan.os}_{plan.os_version}.Dockerfile"
