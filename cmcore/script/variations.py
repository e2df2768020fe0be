"""Variation resolution (CM-FORMAT §3.4), as a pure function of the meta and the request.

The order of the resolved list matters (later fragments win), so the algorithm follows the
contract step by step: explicit (plus ``alias`` targets), else ``default_variation``; expand
``base`` and ``default_variations`` to a fixed point; add group defaults; check the groups
and the valid/invalid combinations. Fragments are returned as deep copies with ``#``
substituted, so the meta is never mutated (flaw 5). Combined variations are applied once,
after every single one (flaw 6: CM re-applies them after each single variation; the result
is the same, combined wins, without the repetition). A ``warning`` key is collected, not a
crash.
"""

from __future__ import annotations

import copy

from cmcore.errors import GENERIC, MALFORMED, NOT_FOUND, CMError
from cmcore.records import field, record
from cmcore.script.flags import is_true

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any


@record
class Resolved:
    """The outcome of resolution: names in order and the fragments to apply in order."""

    names: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    fragments: list[tuple[str, dict]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def tags_string(self) -> str:
        """``_a,_b,...``: the "variation_tags_string" used for cache tags and inheritance."""
        return ",".join(f"_{n}" for n in self.names)


def _singles(variations: dict) -> list[str]:
    return [k for k in variations if "," not in k]


def match(variations: dict, name: str) -> tuple[str, str | None] | None:
    """``(key, suffix)`` for a requested variation name; a static key wins over ``p.#``.

    The suffix is None for a static match. An empty suffix (``url.``) is no match.
    """
    if name in variations and "," not in name:
        return name, None
    best: tuple[str, str] | None = None
    for key in variations:
        if key.endswith(".#") and "," not in key:
            prefix = key[:-1]  # "url."
            if name.startswith(prefix) and len(name) > len(prefix):
                if best is None or len(prefix) > len(best[0]) - 1:
                    best = (key, name[len(prefix):])
    return best


def substitute(value: Any, suffix: str) -> Any:
    """Replace ``#`` with the dynamic suffix in every string value (not in keys), on a copy."""
    if isinstance(value, str):
        return value.replace("#", suffix)
    if isinstance(value, list):
        return [substitute(v, suffix) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, suffix) for k, v in value.items()}
    return copy.deepcopy(value)


def fragment(variations: dict, name: str) -> dict:
    """The fragment of a resolved variation name (a deep copy; ``#`` substituted)."""
    m = match(variations, name)
    if m is None:
        return {}
    key, suffix = m
    raw = variations.get(key) or {}
    if not isinstance(raw, dict):
        raise CMError(f'variation "{key}" must be a mapping, not {type(raw).__name__}', MALFORMED)
    return substitute(raw, suffix) if suffix is not None else copy.deepcopy(raw)


def group_of(variations: dict, name: str) -> str | None:
    m = match(variations, name)
    if m is None:
        return None
    raw = variations.get(m[0]) or {}
    g = raw.get("group") if isinstance(raw, dict) else None
    return str(g) if g not in (None, "") else None


def unknown(variations: dict, names: list[str]) -> list[str]:
    """The requested names this script does not define (statically or dynamically)."""
    return [n for n in names if match(variations or {}, n) is None]


def describe_available(variations: dict) -> str:
    """A short listing of a script's variations for error messages and help."""
    names = []
    for k in _singles(variations or {}):
        names.append("_" + (k[:-1] + "<value>" if k.endswith(".#") else k))
    return ", ".join(names) if names else "(none)"


def unknown_error(variations: dict, bad: list[str], script: str) -> CMError:
    """Error 16 for variations a script does not have, with did-you-mean over its variations."""
    cands = [k for k in _singles(variations or {}) if not k.endswith(".#")]
    from cmcore.suggest import close_matches

    close = close_matches(bad[0], cands)
    hint = ("; did you mean " + " or ".join(f'"_{x}"' for x in close) + "?") if close else ""
    shown = ", ".join(f"_{b}" for b in bad)
    return CMError(
        f'script "{script}" has no variation {shown}{hint} (available: {describe_available(variations)})',
        NOT_FOUND,
    )


class _Resolver:
    def __init__(self, variations: dict, excluded: list[str], script: str) -> None:
        self.v = variations
        self.excluded = list(excluded)
        self.script = script
        self.active: list[str] = []

    def check(self, name: str) -> None:
        if match(self.v, name) is None:
            raise unknown_error(self.v, [name], self.script)

    def raw(self, name: str) -> dict:
        m = match(self.v, name)
        raw = self.v.get(m[0]) if m else None
        return raw if isinstance(raw, dict) else {}

    def frag(self, name: str) -> dict:
        return fragment(self.v, name)

    def add(self, name: str, why: str) -> bool:
        if name in self.active:
            return False
        self.check(name)
        if name in self.excluded:
            raise CMError(f'variation "_{name}" is excluded but "{why}" needs it', GENERIC)
        raw = self.raw(name)
        if raw.get("alias") and ("group" in raw or "default" in raw):
            raise CMError(f'variation "{name}" of script "{self.script}" has an alias and a group/default', MALFORMED)
        self.active.append(name)
        alias = raw.get("alias")
        if alias:
            self.add(str(alias), name)
        return True

    def group_active(self, group: str) -> bool:
        return any(group_of(self.v, a) == group for a in self.active)

    def _default_variations(self, frag: dict, why: str) -> bool:
        changed = False
        dv = frag.get("default_variations") or {}
        if not isinstance(dv, dict):
            return False
        for group, name in dv.items():
            name = str(name)
            if self.group_active(str(group)) or name in self.excluded:
                continue
            changed |= self.add(name, why)
        return changed

    def expand(self) -> None:
        changed = True
        while changed:
            changed = False
            idx = 0
            while idx < len(self.active):
                name = self.active[idx]
                frag = self.frag(name)
                for b in _as_list(frag.get("base")):
                    b = str(b)
                    if b in self.active:
                        continue
                    m = match(self.v, b)
                    if m is not None and m[1] is not None:
                        prefix = m[0][:-1]
                        if any(a.startswith(prefix) for a in self.active):
                            continue  # a dynamic base yields to a chosen value of the same prefix
                    changed |= self.add(b, name)
                changed |= self._default_variations(frag, name)
                idx += 1
            for key in combined_present(self.v, self.active):
                changed |= self._default_variations(self.frag_combined(key), key)

    def frag_combined(self, key: str) -> dict:
        raw = self.v.get(key)
        return copy.deepcopy(raw) if isinstance(raw, dict) else {}

    def group_defaults(self) -> bool:
        groups: dict[str, list[str]] = {}
        for k in _singles(self.v):
            raw = self.v.get(k)
            if not isinstance(raw, dict) or raw.get("group") in (None, ""):
                continue
            g = str(raw["group"])
            groups.setdefault(g, [])
            # Only a true value makes a default (CM checks the key's presence: `default: false` counted).
            if is_true(raw.get("default")) and not k.endswith(".#"):
                groups[g].append(k)
        added = False
        for g, defaults in groups.items():
            if len(defaults) > 1:
                raise CMError(
                    f'script "{self.script}": group "{g}" has several defaults: {", ".join(defaults)}', MALFORMED
                )
            if not defaults or self.group_active(g) or defaults[0] in self.excluded:
                continue
            added |= self.add(defaults[0], f"default of group {g}")
        return added


def _as_list(v: Any) -> list:
    if v is None or v == "":
        return []
    if isinstance(v, list):
        return v
    if isinstance(v, str):
        return [x.strip() for x in v.split(",") if x.strip()]
    return [v]


def combined_present(variations: dict, active: list[str]) -> list[str]:
    """Combined keys (``a,b``) whose components are all active, by increasing number of commas."""
    keys = [k for k in variations if "," in k]
    keys.sort(key=lambda k: k.count(","))
    s = set(active)
    return [k for k in keys if all(c.strip() in s for c in k.split(","))]


def resolve(
    variations: dict | None,
    requested: list[str],
    excluded: list[str] | None = None,
    *,
    default_variation: str | None = None,
    valid_combinations: list | None = None,
    invalid_combinations: list | None = None,
    script: str = "",
) -> Resolved:
    """Resolve the variations of one script run (CM-FORMAT §3.4, steps 1-6)."""
    v = variations or {}
    if not isinstance(v, dict):
        raise CMError(f'script "{script}": "variations" must be a mapping', MALFORMED)
    excluded = list(excluded or [])
    bad = unknown(v, list(requested) + excluded)
    if bad:
        raise unknown_error(v, bad, script)
    r = _Resolver(v, excluded, script)
    for name in requested:
        r.add(name, name)
    if not requested and default_variation:
        r.add(str(default_variation), "default_variation")
    while True:
        r.expand()
        if not r.group_defaults():
            break
    _check_groups(v, r.active, script)
    _check_combinations(r.active, valid_combinations, invalid_combinations, script)
    out = Resolved(names=list(r.active), excluded=excluded)
    for name in r.active:
        frag = r.frag(name)
        out.fragments.append((name, frag))
        if frag.get("warning"):
            out.warnings.append(str(frag["warning"]))
    for key in combined_present(v, r.active):
        frag = r.frag_combined(key)
        out.fragments.append((key, frag))
        if frag.get("warning"):
            out.warnings.append(str(frag["warning"]))
    return out


def _check_groups(v: dict, active: list[str], script: str) -> None:
    seen: dict[str, str] = {}
    for a in active:
        g = group_of(v, a)
        if g is None:
            continue
        if g in seen:
            raise CMError(
                f'multiple variations selected for the group "{g}" of script "{script}": _{seen[g]} and _{a}',
                GENERIC,
            )
        seen[g] = a


def _check_combinations(active: list[str], valid: list | None, invalid: list | None, script: str) -> None:
    s = set(active)
    for combo in invalid or []:
        items = [str(x).lstrip("_") for x in _as_list(combo)]
        if items and all(x in s for x in items):
            raise CMError(
                f'invalid variation combination {"+".join("_" + x for x in items)} for script "{script}"', GENERIC
            )
    if valid and len(active) > 1:
        combos = [[str(x).lstrip("_") for x in _as_list(c)] for c in valid]
        if not any(c and all(x in s for x in c) for c in combos):
            allowed = "; ".join(",".join("_" + x for x in c) for c in combos)
            raise CMError(
                f'variations {",".join("_" + a for a in active)} are not a valid combination for script '
                f'"{script}" (valid: {allowed})',
                GENERIC,
            )
