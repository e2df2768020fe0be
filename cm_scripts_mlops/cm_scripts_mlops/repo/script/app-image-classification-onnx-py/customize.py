"""app-image-classification-onnx-py: get the model (get-ml-model), classify in the tool-owned python,
print the top-k labels and export them."""

def preprocess(i):
    from cm_scripts_mlops.mlperf.appclassify import run

    from cmcore.errors import CMError
    from cmcore.session import current

    env = i["env"]
    try:
        env.update(run(current(), env))
    except CMError as e:
        return {"return": e.code, "error": e.message}
    return {"return": 0}
