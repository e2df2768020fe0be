"""CM-FORMAT §7 T7 (get side): ask for an install when the tool is missing."""

import os


def preprocess(i):
    env = i["env"]
    with open(os.path.join("@@STATE@@", "t7.log"), "a") as f:
        f.write("get\n")
    if env.get("T7_BIN", "") == "":
        system_tool = os.path.join("@@STATE@@", "t7-system")
        if os.path.isfile(system_tool):
            env["T7_BIN"] = system_tool
        else:
            env["T7_REQUIRE_INSTALL"] = "yes"
    return {"return": 0}
