"""generate-mlperf-inference-submission: results store → submission tree (see mlperf.submission)."""

import os
import platform
import re
from pathlib import Path


def preprocess(i):
    from cm_scripts_mlops.mlperf import submission

    from cmcore.errors import CMError
    from cmcore.session import current

    env = i["env"]
    session = current()
    host = re.sub(r"[^A-Za-z0-9._-]", "-", platform.node() or "system") or "system"
    division = env.get("CM_MLPERF_SUBMISSION_DIVISION", "closed")
    submitter = env.get("CM_MLPERF_SUBMITTER", "cm")
    system_name = env.get("CM_MLPERF_SYSTEM_NAME") or host
    try:
        submission.check_names(division, submitter, system_name)  # bad input first, before any lookup
        r = session.access({"action": "show", "automation": "result",
                            "tags": env.get("CM_MLPERF_SUBMISSION_RESULT_TAGS") or "mlperf"})
        if r["return"]:
            return r
        devices = []
        for _plugin, devs in session.pm.call_each("cm_detect_devices", session=session):
            devices += [d.to_dict() for d in devs or []]
        out = os.path.abspath(env.get("CM_MLPERF_SUBMISSION_DIR") or "mlperf-submission")
        summary = submission.generate(r["results"], Path(out),
                                      division=division, submitter=submitter, system_name=system_name,
                                      system_type=env.get("CM_MLPERF_SYSTEM_TYPE", "edge"), devices=devices)
    except CMError as e:
        return {"return": e.code, "error": e.message}
    env["CM_MLPERF_SUBMISSION_DIR"] = out
    env["CM_MLPERF_SUBMISSION_ROOT"] = summary["root"]
    env["CM_MLPERF_SUBMISSION_SYSTEM_JSON"] = summary["system"]
    env["CM_MLPERF_SUBMISSION_ENTRIES"] = str(len(summary["entries"]))
    return {"return": 0}
