"""CM-FORMAT §7 T10: list env vars, a custom separator and script_prefix."""


def preprocess(i):
    env = i["env"]
    state = i["state"]
    env["+PATH"] = ["/opt/t10/bin"]
    env["+ LDFLAGS"] = ["-L/opt/t10/lib"]
    state["script_prefix"] = ["export T10_PREFIX_SEEN=1"]
    return {"return": 0}
