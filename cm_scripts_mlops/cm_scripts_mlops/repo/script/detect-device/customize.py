"""Ask every installed hardware plugin for its devices (the ``cm_detect_devices`` hook).

Exports ``CM_DEVICE_COUNT``, ``CM_DEVICE_KINDS`` and, per kind, ``CM_DEVICE_<KIND>_COUNT``,
``_MODEL``, ``_MEMORY_BYTES``, ``_DRIVER_VERSION``, ``_RUNTIME_VERSION`` (of the first device);
the full records go to ``state['devices']``. With a kind filter and no such device, the
error says which plugins were asked.
"""


def preprocess(i):
    session = i["automation"].session
    env = i["env"]
    want = (env.get("CM_DETECT_DEVICE_KIND") or "").strip().lower()
    found = []
    for batch in session.pm.hook.cm_detect_devices(session=session):
        found.extend(batch or [])
    if want:
        found = [d for d in found if d.kind == want]
    if want and not found:
        plugins = sorted(p.name for p in session.pm.plugin_infos() if "cm_detect_devices" in p.hooks)
        asked = ", ".join(plugins) or "none installed"
        return {"return": 16, "error": f"no {want} device found (hardware plugins asked: {asked}; "
                                       f"set CM_OVERRIDE_{want.upper()}=<version> to simulate one)"}
    kinds = []
    for d in found:
        if d.kind not in kinds:
            kinds.append(d.kind)
    env["CM_DEVICE_COUNT"] = str(len(found))
    env["CM_DEVICE_KINDS"] = ",".join(kinds)
    for kind in kinds:
        mine = [d for d in found if d.kind == kind]
        first = mine[0]
        k = kind.upper()
        env[f"CM_DEVICE_{k}_COUNT"] = str(len(mine))
        env[f"CM_DEVICE_{k}_MODEL"] = first.model or first.name
        if first.memory_bytes:
            env[f"CM_DEVICE_{k}_MEMORY_BYTES"] = str(first.memory_bytes)
        if first.driver_version:
            env[f"CM_DEVICE_{k}_DRIVER_VERSION"] = first.driver_version
        if first.runtime_version:
            env[f"CM_DEVICE_{k}_RUNTIME_VERSION"] = first.runtime_version
    i["state"]["devices"] = [d.to_dict() for d in found]
    if i["input"].get("out") == "con" and not i["input"].get("j") and not i["input"].get("json"):
        for d in found:
            mem = f", {d.memory_bytes / 2**30:.0f} GiB" if d.memory_bytes else ""
            session.log.info(f"{d.name:<12} {d.vendor} {d.model}{mem} ({d.source or 'probe'})")
    return {"return": 0}
