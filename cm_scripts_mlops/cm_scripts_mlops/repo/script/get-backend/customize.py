"""Detect an inference backend (from the ``cm_backends`` registry) for a device kind, and
install it into the tool-owned environment when it is missing and the backend says the
install is automatic (Python wheels; drivers are never installed silently).

Exports ``CM_BACKEND_NAME``, ``CM_BACKEND_VERSION``, ``CM_BACKEND_PYTHON`` (the interpreter
that has it), ``CM_BACKEND_DEVICES`` (the devices it can drive here), ``CM_BACKEND_PROVIDERS``
(ONNX Runtime's execution providers).
"""

import shlex
import subprocess


def _device(session, kind):
    for batch in session.pm.hook.cm_detect_devices(session=session):
        for d in batch or []:
            if d.kind == kind:
                return d
    return None


def _drives(info, kind):
    return any(str(n).split(":")[0] == kind for n in info.get("devices") or [])


def _run_plan(plan, log):
    for cmd in plan.commands:
        argv = shlex.split(cmd)
        log(" ".join(argv))
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=3600)
        if p.returncode != 0:
            lines = p.stdout.strip().splitlines() or ["?"]
            errors = [ln.strip() for ln in lines if ln.strip().lower().startswith("error")]
            tail = errors[-1] if errors else lines[-1]
            return {"return": 1, "error": f"installing {plan.component} failed: {tail} (command: {cmd})"}
    return {"return": 0}


def preprocess(i):
    from cmcore.suggest import did_you_mean

    automation = i["automation"]
    session = automation.session
    env = i["env"]
    name = env.get("CM_BACKEND_NAME", "onnxruntime")
    kind = env.get("CM_BACKEND_DEVICE_KIND", "cpu")
    specs = session.pm.registered_records("cm_backends")
    if name not in specs:
        hint = did_you_mean(name, list(specs)) or f"; pip install cm-backend-{name}"
        return {"return": 16, "error": f'no inference backend "{name}" is installed{hint}'}
    backend = specs[name].factory()

    python = env.get("CM_BACKEND_PYTHON", "")
    if not python:
        from cm_scripts_mlops.lib import pyenv

        python = str(pyenv.target_python(env["CM_PYTHON_BIN_WITH_PATH"], session.home,
                                         log=session.log.info))
    device = _device(session, kind)
    if device is None:
        return {"return": 16, "error": f"no {kind} device on this machine (cmr \"detect device\" lists them)"}

    info = dict(backend.detect(session, python=python))
    if not (info.get("available") and _drives(info, kind)):
        why = info.get("reason") or (info.get("undrivable") or {}).get(device.name, "")
        if str(env.get("CM_BACKEND_INSTALL", "yes")).lower() in ("no", "false", "off", "0"):
            return {"return": 16, "error": f"{name} cannot drive {device.name} in {python}: {why}"}
        plan = backend.install(session, device, python=python)
        if not plan.automatic:
            steps = "; ".join(plan.commands) or plan.note
            return {"return": 16, "error": f"{name} is not available for {device.name}: {why}. "
                                           f"To install it: {steps}"}
        r = _run_plan(plan, session.log.info)
        if r["return"]:
            return r
        info = dict(backend.detect(session, python=python))
        if not (info.get("available") and _drives(info, kind)):
            why = info.get("reason") or (info.get("undrivable") or {}).get(device.name, "")
            return {"return": 16, "error": f"{name} still cannot drive {device.name} after installing: {why}"}

    env["CM_BACKEND_NAME"] = name
    env["CM_BACKEND_VERSION"] = str(info.get("version") or "")
    env["CM_BACKEND_PYTHON"] = python
    env["CM_BACKEND_DEVICES"] = ",".join(info.get("devices") or [])
    if info.get("providers"):
        env["CM_BACKEND_PROVIDERS"] = ",".join(info["providers"])
    return {"return": 0, "version": env["CM_BACKEND_VERSION"]}
