"""explore-mlperf-inference: the work is in cmcore.platform.explore (tested on its own)."""

KEYS = ("model", "constraints", "objective", "price_per_hour", "budget_runs", "executor", "address", "scenario",
        "threads", "batch", "precision", "backends", "devices", "test_query_count", "min_duration_ms",
        "target_qps", "report_dir")


def preprocess(i):
    from cmcore.errors import CMError
    from cmcore.platform.explore import explore
    from cmcore.platform.report import summary
    from cmcore.session import current

    env = i["env"]
    args = {k: env.get("CM_EXPLORE_" + k.upper()) for k in KEYS if env.get("CM_EXPLORE_" + k.upper()) not in (None, "")}
    try:
        outcome = explore(current(), args)
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
