"""Versions (CM-FORMAT §3.11): comparison, the requested constraints, default_version.

``compare`` never raises: numeric parts compare as numbers, padded with zeros (``3.9 ==
3.9.0``); a numeric part against a text part compares as text. The default version is
clamped into ``[min, max]`` and the ``versions`` fragment applied is the one of the version
actually chosen (flaw 7: CM applied the fragment of the unclamped default).
"""

from __future__ import annotations

import re

from cmcore.records import record

_SPLIT = re.compile(r"[.\-+_]")


def _parts(v: str) -> list[int | str]:
    out: list[int | str] = []
    for p in _SPLIT.split(str(v).strip()):
        out.append(int(p) if p.isdigit() else p)
    return out


def compare(a: str, b: str) -> int:
    """-1, 0 or 1. ``compare('3.10', '3.9') == 1``; ``compare('3.9', '3.9.0') == 0``."""
    pa, pb = _parts(a), _parts(b)
    n = max(len(pa), len(pb))
    pa += [0] * (n - len(pa))
    pb += [0] * (n - len(pb))
    for x, y in zip(pa, pb, strict=True):
        if x == y:
            continue
        if isinstance(x, int) and isinstance(y, int):
            return -1 if x < y else 1
        sx, sy = str(x), str(y)
        return -1 if sx < sy else 1
    return 0


@record
class VersionRequest:
    version: str = ""
    version_min: str = ""
    version_max: str = ""
    version_max_usable: str = ""

    def satisfied_by(self, v: str) -> bool:
        if not v:
            return False
        if self.version and compare(v, self.version) != 0:
            return False
        if self.version_min and compare(v, self.version_min) < 0:
            return False
        if self.version_max and compare(v, self.version_max) > 0:
            return False
        return True

    def pip_string(self) -> str:
        """``CM_TMP_PIP_VERSION_STRING``: ``==v``, ``>=min,<=max``, ``>=min`` or ``<=max``."""
        if self.version:
            return f"=={self.version}"
        if self.version_min and self.version_max:
            return f">={self.version_min},<={self.version_max}"
        if self.version_min:
            return f">={self.version_min}"
        if self.version_max:
            return f"<={self.version_max}"
        return ""


KEYS = ("version", "version_min", "version_max", "version_max_usable")
ENV_SUFFIX = {"version": "VERSION", "version_min": "VERSION_MIN", "version_max": "VERSION_MAX",
              "version_max_usable": "VERSION_MAX_USABLE"}


def choose(inp: dict, env: dict, meta: dict, prefix: str) -> VersionRequest:
    """Each constraint from the input flag, else env (``CM_VERSION``...), else the meta."""
    vals = {}
    for k in KEYS:
        v = inp.get(k)
        if v in (None, "", True, False):
            v = env.get(prefix + ENV_SUFFIX[k])
        if v in (None, "", True, False):
            v = meta.get(k)
        vals[k] = "" if v in (None, True, False) else str(v).strip()
    return VersionRequest(**vals)


def write_env(req: VersionRequest, env: dict, prefix: str) -> None:
    """Write the non-empty constraints back to env as ``CM_VERSION*``."""
    for k in KEYS:
        v = getattr(req, k)
        if v:
            env[prefix + ENV_SUFFIX[k]] = v


def clamp_default(default: str, req: VersionRequest) -> str:
    """The version to use when none was requested: ``default`` raised to min, lowered to max.

    The caller then applies the ``versions`` fragment of *this* version, if there is one
    (flaw 7: CM applied the fragment of the unclamped default).
    """
    v = str(default)
    if req.version_min and compare(v, req.version_min) < 0:
        v = req.version_min
    upper = req.version_max_usable or req.version_max
    if upper and compare(v, upper) > 0:
        v = upper
    return v
