"""``cm run script TAGS --help`` / ``cm help script TAGS`` (CM-FORMAT §3.16): what a script takes.

Lists the variations (with their group, and which is the default), the mapped flags
(``--flag -> --env.KEY``) with ``input_description``, and the tags.
"""

from __future__ import annotations

from typing import Any

from cmcore.script.flags import is_true


def help_text(art: Any) -> str:
    meta = art.meta or {}
    lines = [f"script {art.alias or art.uid} ({art.path})"]
    if meta.get("name"):
        lines.append(f"  {meta['name']}")
    lines.append(f"tags: {','.join(art.tags or [])}")
    variations = meta.get("variations") or {}
    if variations:
        groups: dict[str, list[str]] = {}
        loose: list[str] = []
        for k, frag in variations.items():
            frag = frag if isinstance(frag, dict) else {}
            label = "_" + (k[:-1] + "<value>" if k.endswith(".#") else k)
            if is_true(frag.get("default")):
                label += " (default)"
            if frag.get("group"):
                groups.setdefault(str(frag["group"]), []).append(label)
            elif "," in k:
                loose.append(f"{label} (combined)")
            else:
                loose.append(label)
        lines.append("variations:")
        for g, names in groups.items():
            lines.append(f"  group {g}: {', '.join(names)}")
        if loose:
            lines.append(f"  {', '.join(loose)}")
    mapping = meta.get("input_mapping") or {}
    desc = meta.get("input_description") or {}
    if mapping or desc:
        lines.append("flags:")
        for flag in list(mapping) + [f for f in desc if f not in mapping]:
            raw = desc.get(flag)
            d: dict = raw if isinstance(raw, dict) else {}
            text = f"  --{flag}"
            if flag in mapping:
                text += f" -> --env.{mapping[flag]}"
            if d.get("desc"):
                text += f"  {d['desc']}"
            if d.get("default") not in (None, ""):
                text += f" (default: {d['default']})"
            if d.get("choices"):
                text += f" (choices: {', '.join(map(str, d['choices']))})"
            lines.append(text)
    if meta.get("default_version"):
        lines.append(f"default version: {meta['default_version']}")
    if meta.get("versions"):
        lines.append(f"versions: {', '.join(map(str, meta['versions']))}")
    return "\n".join(lines)


def script_help(art: Any, i: dict) -> dict:
    text = help_text(art)
    if i.get("out") == "con":
        print(text)
    return {"return": 0, "help": text, "path": str(art.path)}
