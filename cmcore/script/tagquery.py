"""Turning what the user typed into a script query (CM-FORMAT §2.5, §3.3 step 1).

``cmr "get python _shared"``, ``--tags=get,python,_shared`` and ``cmr get,python3`` (commas
accepted: an improvement on CM, which reads ``get,python3`` as ``alias,uid``) all give
script tags ``[get, python]`` and variations ``[shared]``.
"""

from __future__ import annotations

from cmcore.errors import GENERIC, CMError
from cmcore.records import field, record
from cmcore.refs import is_uid


@record
class ScriptQuery:
    """What to look for: an artifact reference and/or tags, plus the variation request."""

    ref: str | None = None  # alias / uid / repo:alias, when the artifact is a name
    tags: list[str] = field(default_factory=list)  # script tags; may hold "-t" not-tags
    variations: list[str] = field(default_factory=list)  # requested, in order, without "_"
    excluded: list[str] = field(default_factory=list)  # "-_x" / "_-x", without "_" and "-"

    def words(self) -> list[str]:
        """The query as tag words again: script tags (or the name), then ``_v`` and ``-_x``
        (what a generated Dockerfile's ``cmr`` line is given)."""
        head = list(self.tags) if self.tags else [str(self.ref)]
        return head + [f"_{v}" for v in self.variations] + [f"-_{v}" for v in self.excluded]

    @property
    def variation_request(self) -> list[str]:
        """Variations as given, with excluded ones as ``-x`` (the form CM's filter uses)."""
        return self.variations + [f"-{x}" for x in self.excluded]


def _items(tags: str | list | None) -> list[str]:
    if not tags:
        return []
    raw = tags.split(",") if isinstance(tags, str) else [str(t) for t in tags]
    out: list[str] = []
    for t in raw:
        # a list item may itself be "a,b" or "a b" (e.g. from a YAML list of tag strings)
        for piece in str(t).replace(" ", ",").split(","):
            piece = piece.strip()
            if piece:
                out.append(piece)
    return out


def split_tags(tags: str | list | None) -> tuple[list[str], list[str], list[str]]:
    """Split a tag string into (script tags, variations, excluded variations).

    ``_x`` is variation ``x``; ``-_x`` and ``_-x`` exclude ``x``; ``~...`` is ignored; the
    rest are script tags (``-t`` stays a not-tag). The same variation both requested and
    excluded is an error.
    """
    script: list[str] = []
    variations: list[str] = []
    excluded: list[str] = []
    for t in _items(tags):
        if t.startswith("~"):
            continue
        if t.startswith("-_"):
            name = t[2:]
            if name and name not in excluded:
                excluded.append(name)
        elif t.startswith("_-"):
            name = t[2:]
            if name and name not in excluded:
                excluded.append(name)
        elif t.startswith("_"):
            name = t[1:]
            if name and name not in variations:
                variations.append(name)
        elif t not in script:
            script.append(t)
    both = [v for v in variations if v in excluded]
    if both:
        raise CMError(f'variation "_{both[0]}" is both requested and excluded', GENERIC)
    return script, variations, excluded


def _looks_like_tags(artifact: str) -> bool:
    if " " in artifact.strip():
        return True
    if "," in artifact:
        a, b = (x.strip() for x in artifact.split(",", 1))
        # "alias,uid" / "uid,alias" stays a reference; anything else with commas is tags
        return not (is_uid(a) or is_uid(b))
    return artifact.startswith("_")


def build_query(i: dict) -> ScriptQuery:
    """Build the query of a ``run``/``search`` input: ``artifact``, ``artifacts``, ``tags``."""
    tag_parts: list[str] = []
    ref: str | None = None
    artifact = i.get("artifact")
    if isinstance(artifact, str) and artifact.strip():
        if _looks_like_tags(artifact):
            tag_parts.append(artifact)
        else:
            ref = artifact.strip()
    # Further positionals are more tags (CM accepts only spaced ones; a single "_x" works too here).
    for extra in i.get("artifacts") or []:
        if isinstance(extra, str) and extra.strip():
            tag_parts.append(extra)
    if i.get("tags"):
        t = i["tags"]
        tag_parts.extend(t if isinstance(t, list) else [t])
    script, variations, excluded = split_tags(tag_parts)
    return ScriptQuery(ref=ref, tags=script, variations=variations, excluded=excluded)
