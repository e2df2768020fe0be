"""print-any-text: the text, then `KEY = value` for each requested CM env key."""


def postprocess(i):
    env = i["env"]
    keys = [k.strip() for k in str(env.get("CM_PRINT_ANY_CM_ENV_KEYS", "")).split(",") if k.strip()]
    for k in keys:
        print(f"{k} = {env.get(k, '')}")
    return {"return": 0}
