"""CM-FORMAT §7 T8: a download-and-extract-like wrapper (no run.sh)."""


def postprocess(i):
    env = i["env"]
    name = env.get("T8_FINAL_ENV_NAME", "")
    if name:
        env[name] = env.get("T3_URL", "")
    # What postprocess can see: T1_B comes only from the posthook call to t1,
    # T3_VER only from the prehook call to t3.
    env["T8_SAW_T1_B"] = env.get("T1_B", "")
    env["T8_SAW_T3_VER"] = env.get("T3_VER", "")
    return {"return": 0}
