"""What a schema cannot say about a script meta, and the lint run over many scripts.

* every variation named in ``base``, ``default_variations``, ``alias``, a combined key,
  ``default_variation`` or ``(in)valid_variation_combinations`` is defined (statically or by a
  dynamic ``prefix.#`` key), and a group has at most one default;
* every dependency's tags resolve to exactly one script, and its ``_variation`` tags exist in
  that script. No script is an error; several is a warning (the engine picks by ``sort``).

Dependencies are resolved against an in-memory tag index of every registered script, built
once per lint run, so a whole repository lints in well under a second per hundred scripts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cmcore.lint import SCHEMA_PATH
from cmcore.lint.validator import Finding, Validator, load_schema
from cmcore.suggest import close_matches

DEP_LISTS = ("deps", "prehook_deps", "posthook_deps", "post_deps")


@dataclass
class ScriptReport:
    """The findings of one script."""

    alias: str
    repo: str
    meta_file: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.level == "error")

    def lines(self) -> list[str]:
        return [f.line(f"{self.repo}:{self.alias} ({self.meta_file})") for f in self.findings]


def _defined(name: str, variations: dict) -> bool:
    """A variation name is defined statically or by a dynamic ``prefix.#`` key."""
    if name in variations:
        return True
    if "." in name and not name.endswith("."):
        return f"{name.split('.', 1)[0]}.#" in variations
    return False


def _undefined(name: Any, variations: dict, path: str, what: str) -> Finding | None:
    n = str(name).strip()
    if n.startswith("_"):
        n = n[1:]
    if not n or _defined(n, variations):
        return None
    hint = close_matches(n, [v for v in variations if not v.endswith(".#")], n=1)
    return Finding("error", path, f'{what} "{n}" is not a defined variation'
                   + (f' (did you mean "{hint[0]}"?)' if hint else ""))


def variation_findings(meta: dict) -> list[Finding]:
    """References between variations that point nowhere, and groups with two defaults."""
    variations = meta.get("variations")
    if not isinstance(variations, dict):
        return []
    out: list[Finding] = []
    groups: dict[str, list[str]] = {}
    defaults: dict[str, list[str]] = {}

    def add(f: Finding | None) -> None:
        if f is not None:
            out.append(f)

    for name, frag in variations.items():
        if not isinstance(frag, dict):
            continue
        g = frag.get("group")
        if isinstance(g, str):
            groups.setdefault(g, []).append(name)
            if "default" in frag:  # CM tests the key's presence (CM-FORMAT §3.4)
                defaults.setdefault(g, []).append(name)
    for name, frag in variations.items():
        if "," in name:
            for part in name.split(","):
                add(_undefined(part, variations, f"variations.{name}", "combined key part"))
        if not isinstance(frag, dict):
            continue
        base = frag.get("base")
        for idx, b in enumerate(base if isinstance(base, list) else []):
            add(_undefined(b, variations, f"variations.{name}.base[{idx}]", "base"))
        dv = frag.get("default_variations")
        for grp, v in (dv.items() if isinstance(dv, dict) else []):
            add(_undefined(v, variations, f"variations.{name}.default_variations.{grp}", "default"))
            if grp not in groups:
                out.append(Finding("error", f"variations.{name}.default_variations.{grp}",
                                   f'group "{grp}" has no variations'))
        if isinstance(frag.get("alias"), str):
            add(_undefined(frag["alias"], variations, f"variations.{name}.alias", "alias target"))
    if isinstance(meta.get("default_variation"), str):
        add(_undefined(meta["default_variation"], variations, "default_variation", "default_variation"))
    for key in ("valid_variation_combinations", "invalid_variation_combinations"):
        for i, combo in enumerate(meta.get(key) or [] if isinstance(meta.get(key), list) else []):
            for j, v in enumerate(combo if isinstance(combo, list) else []):
                add(_undefined(v, variations, f"{key}[{i}][{j}]", "combination member"))
    for g, names in defaults.items():
        if len(names) > 1:
            out.append(Finding("error", f"variations.{names[1]}.default",
                               f'group "{g}" has {len(names)} defaults: {", ".join(names)}'))
    return out


class ScriptIndex:
    """Every registered script's tags and variations, for resolving dependency tags offline."""

    def __init__(self, artifacts: Iterable[Any]) -> None:
        self.items: list[tuple[str, frozenset[str], dict]] = []
        self.by_tag: dict[str, list[int]] = {}
        self.inputs: list[set[str]] = []  # input flags of each script (input_mapping, all variations)
        self.metas: list[dict] = []
        for art in artifacts:
            meta = art.meta or {}
            raw = meta.get("variations")
            vars_: dict = raw if isinstance(raw, dict) else {}
            idx = len(self.items)
            tags = frozenset(str(t) for t in (art.tags or []))
            self.items.append((str(art.alias or art.uid), tags, vars_))
            self.metas.append(meta)
            flags = set(meta.get("input_mapping") or {}) if isinstance(meta.get("input_mapping"), dict) else set()
            for frag in vars_.values():
                if isinstance(frag, dict) and isinstance(frag.get("input_mapping"), dict):
                    flags |= set(frag["input_mapping"])
            self.inputs.append(flags)
            for t in tags:
                self.by_tag.setdefault(t, []).append(idx)

    def resolve(self, tags: list[str]) -> list[int]:
        want = [t for t in tags if not t.startswith("-")]
        not_ = {t[1:] for t in tags if t.startswith("-")}
        if not want:
            return []
        cand = set(self.by_tag.get(want[0], []))
        for t in want[1:]:
            cand &= set(self.by_tag.get(t, []))
        return sorted(i for i in cand if not (self.items[i][1] & not_))


def _dep_tag_text(dep: dict) -> str | None:
    tags = dep.get("tags")
    if isinstance(tags, list):
        tags = ",".join(str(t) for t in tags)
    if not isinstance(tags, str) or not tags.strip():
        return None
    if "<<<" in tags or "#" in tags:  # filled from env or a dynamic variation at run time
        return None
    return tags


def _iter_deps(meta: dict) -> Iterable[tuple[str, dict]]:
    for lname in DEP_LISTS:
        for idx, dep in enumerate(meta.get(lname) or [] if isinstance(meta.get(lname), list) else []):
            if isinstance(dep, dict):
                yield f"{lname}[{idx}]", dep
    variations = meta.get("variations")
    for vname, frag in (variations.items() if isinstance(variations, dict) else []):
        if not isinstance(frag, dict) or vname.endswith(".#"):
            continue
        for lname in DEP_LISTS:
            for idx, dep in enumerate(frag.get(lname) or [] if isinstance(frag.get(lname), list) else []):
                if isinstance(dep, dict):
                    yield f"variations.{vname}.{lname}[{idx}]", dep


def dep_findings(meta: dict, index: ScriptIndex, accepted: set[str] | None = None) -> list[Finding]:
    """Dependencies that resolve to no script, to several, or ask for a variation it lacks.

    A dep key that the resolved script maps as an input flag (``input_mapping``) is a run
    input, not a typo: its path is added to ``accepted``.
    """
    from cmcore.script.tagquery import split_tags

    out: list[Finding] = []
    accepted = accepted if accepted is not None else set()
    for path, dep in _iter_deps(meta):
        text = _dep_tag_text(dep)
        if text is None:
            continue
        try:
            script_tags, variations, excluded = split_tags(text)
        except Exception as exc:  # a malformed tag string is itself the finding
            out.append(Finding("error", f"{path}.tags", str(exc)))
            continue
        found = index.resolve(script_tags)
        if not found:
            out.append(Finding("error", f"{path}.tags", f'"{text}" resolves to no script'))
            continue
        wanted = [v for v in variations + excluded if v]
        ok = [i for i in found if all(_defined(v, index.items[i][2]) for v in wanted)]
        if not ok:
            names = ", ".join(index.items[i][0] for i in found[:3])
            missing = [v for v in wanted if not _defined(v, index.items[found[0]][2])]
            out.append(Finding("error", f"{path}.tags", f'"{text}": {names} has no variation '
                               + ", ".join(f"_{v}" for v in missing)))
        elif len(ok) > 1:
            dep_names = dep.get("names")
            name = dep_names if isinstance(dep_names, str) else str((dep_names or ["NAME"])[0])
            out.append(Finding("warning", f"{path}.tags", f'"{text}" resolves to {len(ok)} scripts: '
                               + ", ".join(index.items[i][0] for i in ok[:4]) + (" ..." if len(ok) > 4 else "")
                               + f" (the first by sort is used; --adr.{name}.tags=... picks one)"))
        if ok:
            inputs = set()
            for i in ok:
                inputs |= index.inputs[i]
            for key in dep:
                if key in inputs:
                    accepted.add(f"{path}.{key}")
    return out


def lint_meta(meta: Any, index: ScriptIndex | None, validator: Validator | None = None) -> list[Finding]:
    """Every finding for one meta: schema, variation references, and (with an index) deps."""
    v = validator or Validator(load_schema(str(SCHEMA_PATH)))
    if not isinstance(meta, dict):
        return [Finding("error", "", "the meta must be a mapping")]
    out = v.validate(meta)
    out += variation_findings(meta)
    if index is not None:
        accepted: set[str] = set()
        out += dep_findings(meta, index, accepted)
        out = [f for f in out if not (f.path in accepted and f.message.startswith("unknown key"))]
    return out


def lint_artifacts(artifacts: list[Any], universe: list[Any]) -> tuple[list[ScriptReport], float]:
    """Lint ``artifacts``, resolving deps against ``universe`` (all scripts); returns reports and seconds."""
    started = time.perf_counter()
    index = ScriptIndex(universe)
    validator = Validator(load_schema(str(SCHEMA_PATH)))
    reports = []
    for art in artifacts:
        files = [Path(p).name for p in (getattr(art, "meta_files", None) or [])]
        rep = ScriptReport(alias=str(art.alias or art.uid), repo=str(getattr(art.repo, "alias", "") or ""),
                           meta_file="+".join(files) or "meta")
        rep.findings = lint_meta(art.meta, index, validator)
        reports.append(rep)
    return reports, time.perf_counter() - started
