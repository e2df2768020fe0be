"""run-mlperf-inference-submission-checker: one line per problem; error 1 when there are any."""

import platform


def _list(v):
    return [x.strip() for x in str(v or "").split(",") if x.strip()]


def _yes(v):
    return str(v or "").strip().lower() in ("1", "yes", "true", "on")


def preprocess(i):
    from cm_scripts_mlops.mlperf import checker, submission

    from cmcore.session import current

    env = i["env"]
    short_ok = _yes(env.get("CM_MLPERF_CHECKER_SHORT_RUNS_OK"))
    if _yes(env.get("CM_MLPERF_CHECKER_PREFLIGHT")):
        session = current()
        devices = []
        for _plugin, devs in session.pm.call_each("cm_detect_devices", session=session):
            devices += [d.to_dict() for d in devs or []]
        system = submission.system_description(
            devices, division=env.get("CM_MLPERF_SUBMISSION_DIVISION", "closed"),
            submitter=env.get("CM_MLPERF_SUBMITTER", ""), system_name=platform.node() or "system",
            system_type=env.get("CM_MLPERF_SYSTEM_TYPE", "edge"), framework="onnxruntime")

        def num(k):
            v = str(env.get(k, "") or "").strip()
            try:
                return float(v) if v else None
            except ValueError:
                return -1.0

        plan = {"system": system, "models": _list(env.get("CM_MLPERF_MODEL")),
                "scenarios": _list(env.get("CM_MLPERF_SCENARIOS")), "modes": _list(env.get("CM_MLPERF_MODES")),
                "min_duration_ms": num("CM_MLPERF_MIN_DURATION_MS"),
                "test_query_count": num("CM_MLPERF_TEST_QUERY_COUNT")}
        out = checker.preflight(plan, short_runs_ok=short_ok)
        what = "pre-flight"
    else:
        root = env.get("CM_MLPERF_SUBMISSION_ROOT", "")
        if not root:
            return {"return": 1, "error": "give --submission_dir=<out>/<division>/<submitter> (or --preflight)"}
        out = checker.check_tree(root, short_runs_ok=short_ok)
        what = f"submission {root}"
    for w in out["warnings"]:
        print(f"warning: {w}")
    for p in out["problems"]:
        print(f"problem: {p}")
    env["CM_MLPERF_CHECKER_PROBLEMS"] = str(len(out["problems"]))
    env["CM_MLPERF_CHECKER_WARNINGS"] = str(len(out["warnings"]))
    if out["problems"]:
        first = out["problems"][0]
        more = f" (and {len(out['problems']) - 1} more above)" if len(out["problems"]) > 1 else ""
        return {"return": 1, "error": f"{what}: {len(out['problems'])} problem(s): {first}{more}"}
    print(f"{what}: no problems ({len(out['warnings'])} warning(s))")
    return {"return": 0}
