"""app-mlperf-inference: the work is in cm_scripts_mlops.mlperf.app (tested on its own)."""


def preprocess(i):
    from cm_scripts_mlops.mlperf import app

    from cmcore.errors import CMError
    from cmcore.session import current

    env = i["env"]
    try:
        exported = app.run(current(), env)
        env.update(exported)
        print(app.summary_line(app.read_result(exported["CM_MLPERF_RESULT_PATH"])))
    except CMError as e:
        return {"return": e.code, "error": e.message}
    return {"return": 0}
