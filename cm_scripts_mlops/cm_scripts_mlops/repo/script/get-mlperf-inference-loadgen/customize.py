"""get-mlperf-inference-loadgen: check that mlperf_loadgen imports in the tool-owned python."""

import subprocess


def postprocess(i):
    from cm_scripts_mlops.mlperf.scriptlib import fail, tool_python

    from cmcore.errors import CMError

    env = i["env"]
    try:
        py = tool_python(env)
        p = subprocess.run([py, "-c", "import mlperf_loadgen"], capture_output=True, text=True, timeout=120,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["?"])[-1]
            raise CMError(f"mlperf_loadgen does not import in {py}: {last}", 16)
    except CMError as e:
        return fail(e)
    env["CM_MLPERF_LOADGEN_PYTHON"] = py
    return {"return": 0, "version": env.get("CM_MLPERF_LOADGEN_VERSION", "")}
