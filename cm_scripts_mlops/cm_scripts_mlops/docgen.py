"""Generate each script's README.md from its meta.

    python -m cm_scripts_mlops.docgen            # rewrite the READMEs of the bundled repo
    python -m cm_scripts_mlops.docgen --check    # exit 1 if any README is out of date
    python -m cm_scripts_mlops.docgen PATH...    # other script folders or repos

A README lists the tags, how to run the script, its variations by group (defaults marked),
its flags (``input_mapping`` with ``input_description``), the env it sets by default, its
dependencies and the keys it exports. :func:`render` is the reusable part (a ``cm doc
script`` action can call it with a loaded meta).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

# Not imported from the package __init__: run from the source checkout's root, `cm_scripts_mlops`
# may resolve to the distribution folder (a namespace package) instead of the package.
REPO_PATH = Path(__file__).resolve().parent / "repo"

HEADER = "<!-- Generated from _cm.yaml by `python -m cm_scripts_mlops.docgen`; edit the meta, not this file. -->"


def _code(s: object) -> str:
    text = str(s)
    return f"``{text}``" if "`" in text else f"`{text}`"


def _variation_rows(variations: dict) -> list[str]:
    groups: dict[str, list[str]] = {}
    for name, frag in variations.items():
        frag = frag or {}
        group = str(frag.get("group", ""))
        label = _code("_" + name.replace("#", "<value>") if name.endswith(".#") else "_" + name)
        notes = []
        if "default" in frag:  # CM checks the key's presence, not its value
            notes.append("default")
        if frag.get("base"):
            notes.append("also turns on " + ", ".join(_code("_" + b) for b in frag["base"]))
        env = frag.get("env") or {}
        if env:
            shown = [(k, str(v).replace("#", "<value>") if name.endswith(".#") else v) for k, v in env.items()]
            notes.append("sets " + ", ".join(_code(f"{k}={v}") for k, v in shown[:3])
                         + (" …" if len(env) > 3 else ""))
        groups.setdefault(group, []).append(f"- {label}" + (f" ({'; '.join(notes)})" if notes else ""))
    lines: list[str] = []
    for group in sorted(groups, key=lambda g: (g == "", g)):
        lines.append(f"**{'group ' + _code(group) if group else 'other variations'}**")
        lines.append("")
        lines.extend(groups[group])
        lines.append("")
    return lines


def _dep_lines(meta: dict) -> list[str]:
    lines = []
    for key in ("deps", "prehook_deps", "posthook_deps", "post_deps"):
        for dep in meta.get(key) or []:
            extra = []
            if dep.get("names"):
                extra.append("names " + ", ".join(_code(n) for n in dep["names"]))
            for cond in ("enable_if_env", "skip_if_env"):
                if dep.get(cond):
                    extra.append(f"{cond.replace('_', ' ')} " + _code(dep[cond]))
            if dep.get("dynamic"):
                extra.append("dynamic")
            lines.append(f"- {key}: {_code(dep.get('tags', ''))}" + (f" ({'; '.join(extra)})" if extra else ""))
    return lines


def render(meta: dict) -> str:
    """The README text for one script meta."""
    alias = meta.get("alias", "?")
    tags = [str(t) for t in meta.get("tags", [])]
    out = [HEADER, "", f"# {alias}", ""]
    if meta.get("name"):
        out += [str(meta["name"]), ""]
    out += [f"- uid: {_code(meta.get('uid', ''))}", f"- tags: {_code(','.join(tags))}"]
    if meta.get("category"):
        out.append(f"- category: {meta['category']}")
    cached = meta.get("cache", False)
    out.append(f"- cached: {'yes' if cached else 'no'}" + (" (can be forced with `--force_cache`)"
                                                          if not cached and meta.get("can_force_cache") else ""))
    if "sort" in meta:
        out.append(f"- sort: {meta['sort']}")
    plain = [t for t in tags if " " not in t]
    out += ["", "## Run", "", "```bash", f'cmr "{" ".join(plain)}"',
            f"cm run script --tags={','.join(plain)}", "```", "",
            "```python", "import cmcore", f"r = cmcore.access({{'action': 'run', 'automation': 'script', "
            f"'tags': '{','.join(plain)}'}})", "```", ""]
    variations = meta.get("variations") or {}
    if variations:
        out += ["## Variations", "", "Add them to the tags, e.g. "
                + _code(f'cmr "{" ".join(plain)} _{next(iter(variations)).replace("#", "VALUE")}"') + ".", ""]
        out += _variation_rows(variations)
    mapping = meta.get("input_mapping") or {}
    desc = meta.get("input_description") or {}
    if mapping or desc:
        out += ["## Flags", ""]
        for flag in list(mapping) + [f for f in desc if f not in mapping]:
            d = desc.get(flag) or {}
            target = f" → {_code('env.' + mapping[flag])}" if flag in mapping else ""
            text = f": {d['desc']}" if d.get("desc") else ""
            out.append(f"- {_code('--' + flag)}{target}{text}")
        out.append("")
    for key, title in (("default_env", "Default env (kept when already set)"), ("env", "Env (always set)")):
        if meta.get(key):
            out += [f"## {title}", ""] + [f"- {_code(f'{k}={v}')}" for k, v in meta[key].items()] + [""]
    deps = _dep_lines(meta)
    if deps:
        out += ["## Dependencies", ""] + deps + [""]
    exported = list(meta.get("new_env_keys") or [])
    for frag in variations.values():
        for k in (frag or {}).get("new_env_keys") or []:
            if k not in exported:
                exported.append(k)
    if exported or meta.get("new_state_keys"):
        out += ["## Exported", ""]
        out += [f"- env {_code(k)}" for k in exported]
        out += [f"- state {_code(k)}" for k in meta.get("new_state_keys") or []]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def script_dirs(paths: list[Path]) -> list[Path]:
    """Script folders (with ``_cm.yaml``) under each path (a script folder or a repo)."""
    found: list[Path] = []
    for p in paths:
        if (p / "_cm.yaml").is_file():
            found.append(p)
        else:
            found.extend(sorted(d.parent for d in p.glob("script/*/_cm.yaml")))
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m cm_scripts_mlops.docgen", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="*", type=Path, help="script folders or repos (default: the bundled repo)")
    ap.add_argument("--check", action="store_true", help="report out-of-date READMEs, write nothing")
    a = ap.parse_args(argv)
    stale = []
    for d in script_dirs(a.paths or [REPO_PATH]):
        try:
            meta = yaml.safe_load((d / "_cm.yaml").read_text()) or {}
        except yaml.YAMLError as e:
            print(f"error: {d / '_cm.yaml'}: {str(e).splitlines()[0]}", file=sys.stderr)
            return 2
        text = render(meta)
        readme = d / "README.md"
        if readme.is_file() and readme.read_text() == text:
            continue
        stale.append(readme)
        if not a.check:
            readme.write_text(text)
    if a.check and stale:
        for r in stale:
            print(f"out of date: {r}", file=sys.stderr)
        return 1
    if not a.check:
        print(f"{len(stale)} README(s) written")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
