"""UIDs and object references (CM-FORMAT §1.5) and tag queries (§1.6)."""

from __future__ import annotations

from cmcore.errors import MALFORMED, CMError

# re, json and fnmatch are imported where used: the find template (cmcore.replay) parses a
# tag query with this module and none of them.
_HEX = frozenset("0123456789abcdef")
# Names an artifact folder may take: no separators, no "..", no NUL, not absolute.
_BAD_NAME = r"[/\\\x00]|^\.\.?$|^\s|\s$"


def _quoted(text: str) -> str:
    """``text`` in double quotes with control characters escaped, so a message stays one line."""
    import json

    return json.dumps(text, ensure_ascii=False)


def gen_uid() -> str:
    """A new 16-hex UID (first 16 chars of a uuid4), as CM makes them."""
    import uuid  # imports platform; only needed when something is created

    return uuid.uuid4().hex[:16]


def is_uid(s: str | None) -> bool:
    """True for 16 lowercase-hex characters (CM's dot quirk is not accepted)."""
    if not s:
        return False
    t = str(s).lower()
    return len(t) == 16 and _HEX.issuperset(t)


def parse_ref(ref: str | None) -> tuple[str, str]:
    """``alias`` / ``uid`` / ``alias,uid`` / ``uid,alias`` → ``(alias, uid)`` (either may be '')."""
    if not ref:
        return "", ""
    ref = ref.strip()
    if "," in ref:
        a, b = (x.strip() for x in ref.split(",", 1))
        if is_uid(b) and not is_uid(a):
            return a, b.lower()
        if is_uid(a) and not is_uid(b):
            return b, a.lower()
        if is_uid(b):
            return a, b.lower()
        return a, ""
    if is_uid(ref):
        return "", ref.lower()
    return ref, ""


def split_repo_ref(ref: str | None) -> tuple[str | None, str]:
    """``repo:artifact`` → ``(repo, artifact)``; no colon → ``(None, ref)``."""
    if not ref:
        return None, ""
    if ref.count(":") > 1:
        raise CMError(f'malformed reference {_quoted(ref)}: more than one ":"', MALFORMED)
    if ":" in ref:
        repo, art = ref.split(":", 1)
        return repo.strip(), art.strip()
    return None, ref


def check_name(name: str, what: str = "artifact") -> str:
    """Refuse names that could escape a repository folder."""
    import re

    if not name or re.search(_BAD_NAME, name) or name.startswith(("/", "~")) or ".." in name.split("/"):
        raise CMError(f"invalid {what} name {_quoted(name)}: it must be a plain folder name", MALFORMED)
    return name


def match_ref(req_alias: str, req_uid: str, alias: str | None, uid: str | None) -> bool:
    """CM ``match_objects``: UID wins when both have one; aliases compare case-insensitively with globs."""
    if req_uid and uid:
        return req_uid.lower() == uid.lower()
    if req_uid and not req_alias:
        return False
    if not req_alias:
        return True
    a = (alias or "").lower()
    r = req_alias.lower()
    if "*" in r or "?" in r:
        import fnmatch

        return fnmatch.fnmatchcase(a, r)
    return a == r


def parse_tags(tags: str | list[str] | None) -> tuple[list[str], list[str]]:
    """``'a,b,-c'`` → ``(['a','b'], ['c'])``. Matching is exact and case-sensitive."""
    if not tags:
        return [], []
    items = tags.split(",") if isinstance(tags, str) else [str(t) for t in tags]
    yes: list[str] = []
    no: list[str] = []
    for t in items:
        t = t.strip()
        if not t:
            continue
        if t.startswith("-") and len(t) > 1:
            no.append(t[1:])
        else:
            yes.append(t)
    return yes, no


def tags_match(artifact_tags: list[str] | set[str] | None, yes: list[str], no: list[str]) -> bool:
    """Every ``yes`` tag and no ``no`` tag (the index's own test, :func:`cmcore.shardfile.tags_ok`)."""
    from cmcore.shardfile import tags_ok

    return tags_ok(artifact_tags or (), yes, no)
