"""Replay a lockfile: check drift first, then re-run the recorded request.

The recorded request (tags with the requested variations, version flags, mapped input
flags, ``--env``/``--const``/``--adr`` patches) resolves to the same graph when nothing
drifted; after the run every script's resolved variations and version are compared with the
lock. Secret values were masked in the lock: pass them again (``--env.HF_TOKEN=...``); flags
given to ``replay`` are merged over the recorded ones.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

from cmcore.errors import GENERIC, CMError
from cmcore.repro.drift import check_lock, compare_runs
from cmcore.repro.lockfile import CONTROL_KEYS, load_lock
from cmcore.secrets import MASK

#: replay's own flags: not passed on to the run
REPLAY_KEYS = frozenset({"strict", "check", "lock_out", "file"})


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _masked_keys(d: dict, prefix: str = "") -> list[str]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += _masked_keys(v, f"{prefix}{k}.")
        elif v == MASK or (isinstance(v, list) and v and all(x == MASK for x in v)):
            out.append(prefix + k)
    return out


def replay(session: Any, path: str, i: dict) -> dict:
    """``cm replay script LOCK [--strict] [--check] [--lock_out=FILE] [--flags]``."""
    lock = load_lock(path)
    log = session.log
    drift = check_lock(session, lock)
    for line in drift.items:
        log.warning(f"drift: {line}")
    for line in drift.notes:
        log.info(f"note: {line}")
    strict = _true(i.get("strict"))
    result: dict[str, Any] = {"return": 0, "drift": list(drift.items), "notes": list(drift.notes)}
    if drift and strict:
        raise CMError(f"{len(drift.items)} drift item(s) against {path}; not running (--strict). "
                      "Run without --strict to replay anyway", GENERIC, drift=list(drift.items))
    if _true(i.get("check")):
        if not drift and i.get("out") == "con":
            print(f"no drift: {path} can be replayed as recorded")
        return result
    extra = {k: v for k, v in i.items() if k not in CONTROL_KEYS and k not in REPLAY_KEYS and not k.startswith("_")}
    request = _merge(lock["command"]["input"], extra)
    masked = _masked_keys(request)
    if masked:
        raise CMError("the lock masks secret value(s) of " + ", ".join(masked)
                      + "; pass them again to replay (e.g. --" + masked[0] + "=...)", GENERIC)
    out_path = i.get("lock_out")
    tmpdir = None
    if not out_path:
        tmpdir = tempfile.mkdtemp(prefix="cm-replay-")
        out_path = os.path.join(tmpdir, "cm-lock.json")
    run_in = {**request, "action": "run", "automation": "script", "quiet": True, "lock": str(out_path)}
    if i.get("out") == "con":
        run_in["out"] = "con"
    try:
        r = session.access(run_in)
        if r.get("return", 0) != 0:
            return r
        new = load_lock(out_path)
    finally:
        if tmpdir:
            for p in Path(tmpdir).glob("*"):
                p.unlink(missing_ok=True)
            os.rmdir(tmpdir)
    after = compare_runs(lock["scripts"], new["scripts"])
    for line in after:
        log.warning(f"drift after replay: {line}")
    result.update({k: v for k, v in r.items() if k in ("new_env", "new_state", "version", "script")})
    result["drift_after"] = after
    result["scripts"] = len(new["scripts"])
    if after and strict:
        raise CMError(f"the replay differs from {path} in {len(after)} item(s)", GENERIC, drift=after)
    return result


def _true(v: Any) -> bool:
    from cmcore.script.flags import is_true

    return is_true(v)
