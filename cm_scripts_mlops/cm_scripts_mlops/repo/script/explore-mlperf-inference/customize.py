"""explore-mlperf-inference: the work is in cmcore.platform.explore (tested on its own)."""

import os
from contextlib import contextmanager

KEYS = ("model", "constraints", "objective", "price_per_hour", "budget_runs", "executor", "address", "worker_home",
        "scenario", "threads", "batch", "precision", "backends", "devices", "test_query_count", "min_duration_ms",
        "target_qps", "report_dir")


@contextmanager
def _sinks(session, value):
    """--sink: every harness result recorded meanwhile (each point's runs; a point read back from
    the cache is not sent again) also goes to these sinks, through CM_RESULT_SINKS
    (cmcore.ecosystem.sinks); workers started from this process inherit it."""
    if not value:
        yield
        return
    key = "CM_RESULT_SINKS"
    before = session.env.get(key), os.environ.get(key)
    merged = ",".join(x for x in (before[0], str(value)) if x)
    session.env[key] = os.environ[key] = merged
    try:
        yield
    finally:
        for where, old in ((session.env, before[0]), (os.environ, before[1])):
            if old is None:
                where.pop(key, None)
            else:
                where[key] = old


def preprocess(i):
    from cmcore.errors import CMError
    from cmcore.platform.explore import explore
    from cmcore.platform.report import summary
    from cmcore.session import current

    env = i["env"]
    args = {k: env.get("CM_EXPLORE_" + k.upper()) for k in KEYS if env.get("CM_EXPLORE_" + k.upper()) not in (None, "")}
    session = current()
    try:
        with _sinks(session, env.get("CM_EXPLORE_SINK")):
            outcome = explore(session, args)
    except CMError as e:
        return {"return": e.code, "error": e.message}
    print(summary(outcome))
    best = outcome["best"] or {}
    env["CM_EXPLORE_REPORT"] = outcome["report"]
    env["CM_EXPLORE_PLOT_PNG"] = outcome.get("plot_png", "")
    env["CM_EXPLORE_RESULT_PATH"] = outcome["result_path"]
    env["CM_EXPLORE_REPRODUCE"] = outcome["reproduce"]
    env["CM_EXPLORE_RECOMMENDED"] = " ".join(f"{k}={best[k]}" for k in ("target", "precision", "threads", "batch")
                                             if k in best)
    env["CM_EXPLORE_POINTS"] = str(outcome["evaluations"])
    return {"return": 0}
