"""A script's README from its meta (and, for ``cm doc script``, its resolved dependency tree).

:func:`render` is pure (meta in, Markdown out); ``cm_scripts_mlops.docgen`` uses it to keep the
bundled READMEs current. :func:`script_readme` adds what needs the database: the dependency
tree resolved against the registered scripts, and example commands with the script's flags.
"""

from __future__ import annotations

from typing import Any

HEADER = "<!-- Generated from the script meta by `cm doc script`; edit the meta, not this file. -->"


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


def render(meta: dict, header: str = HEADER, extra: list[str] | None = None) -> str:
    """The README text for one script meta; ``extra`` lines are appended as more sections."""
    alias = meta.get("alias", "?")
    tags = [str(t) for t in meta.get("tags", [])]
    out = [header, "", f"# {alias}", ""]
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
    out += extra or []
    return "\n".join(out).rstrip() + "\n"



def _example_commands(meta: dict) -> list[str]:
    tags = [str(t) for t in meta.get("tags", []) if " " not in str(t)]
    base = " ".join(tags)
    variations = [v for v in (meta.get("variations") or {}) if "," not in v and not v.endswith(".#")]
    flags = list(meta.get("input_mapping") or {})[:2]
    example_flags = "".join(f" --{f}=VALUE" for f in flags)
    lines = ["## Example commands", "", "```bash", f'cmr "{base}" --dry-run            # the resolved dependency tree',
             f'cmr "{base}"{example_flags}']
    if variations:
        lines.append(f'cmr "{base} _{variations[0]}" --quiet')
    lines += [f'cmr "{base}" --lock=cm-lock.json      # record the resolved graph',
              "cm replay script cm-lock.json --strict   # re-run it, refusing on drift",
              f'cm docker script "{base}" --dockerfile_only',
              f'cm run script "{base}" --help', "```", ""]
    return lines


def _tree(meta: dict, index: Any, depth: int, seen: tuple[str, ...], max_depth: int) -> list[str]:
    from cmcore.lint.checks import DEP_LISTS
    from cmcore.script.tagquery import split_tags

    out: list[str] = []
    for lname in DEP_LISTS:
        for dep in meta.get(lname) or []:
            if not isinstance(dep, dict) or not isinstance(dep.get("tags"), str):
                continue
            pad = "  " * depth
            cond = " (conditional)" if any(k in dep for k in ("enable_if_env", "skip_if_env", "enable_if_any_env",
                                                               "skip_if_any_env")) else ""
            list_note = "" if lname == "deps" else f" [{lname}]"
            tags = dep["tags"]
            try:
                script_tags, _v, _x = split_tags(tags)
            except Exception:  # a malformed tag string: show it as it is
                script_tags = []
            found = index.resolve(script_tags) if script_tags and "<<<" not in tags else []
            if not found:
                out.append(f"{pad}- `{tags}`{list_note}{cond}")
                continue
            name, _t, _vars = index.items[found[0]]
            more = f" (or {len(found) - 1} other)" if len(found) > 1 else ""
            out.append(f"{pad}- `{tags}` → {name}{more}{list_note}{cond}")
            if name in seen or depth + 1 >= max_depth:
                continue
            child = index.metas[found[0]]
            out += _tree(child, index, depth + 1, (*seen, name), max_depth)
    return out


def script_readme(session: Any, art: Any, max_depth: int = 4) -> str:
    """The README of a script artifact: :func:`render` plus the resolved tree and example commands."""
    from cmcore.lint.checks import ScriptIndex

    meta = dict(art.meta or {})
    index = ScriptIndex(session.db.search("script"))
    extra: list[str] = []
    tree = _tree(meta, index, 0, (str(art.alias),), max_depth)
    if tree:
        extra += ["## Dependency tree", "", "Resolved against the scripts registered when this file was "
                  f"generated (depth ≤ {max_depth}; the first match by sort is shown).", ""] + tree + [""]
    extra += _example_commands(meta)
    return render(meta, extra=extra)
