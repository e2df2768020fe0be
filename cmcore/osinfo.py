"""The host OS description scripts receive as ``i['os_info']`` (CM-FORMAT §3.10).

A module of its own, importing only ``os`` and ``sys``: every script run builds this dict,
and the rest of the compat utilities (dates, uuids, temp files) need not load for it.
"""

from __future__ import annotations

import os
import sys


def _machine() -> str:
    if sys.platform.startswith("win"):
        return os.environ.get("PROCESSOR_ARCHITECTURE", "")
    return os.uname().machine


def get_host_os_info(i: dict | None = None, prefix: str = "CM_") -> dict:
    """The host OS description of CM-FORMAT §3.10 → ``{'return': 0, 'info': {...}}``.

    ``i['bits']`` forces the OS bits. ``prefix`` names the env keys (``CM_`` or ``MLC_``).
    """
    i = i or {}
    python_bits = "64" if sys.maxsize > 2**32 else "32"
    system = "windows" if sys.platform.startswith("win") else os.uname().sysname.lower()
    info: dict = {}
    if system.startswith("win"):
        name = "windows"
        info.update(
            bat_ext=".bat", set_env="set ${key}=${value}", env_separator=";", env_var="%env_var%",
            bat_rem="rem ${rem}", run_local_bat="call ${bat_file}",
            run_local_bat_from_python="call ${bat_file}", run_bat="call ${bat_file}",
            start_script=["@echo off", ""], env={f"{prefix}WINDOWS": "yes"},
        )
    else:
        name = "darwin" if system.startswith("darwin") else "linux"
        info.update(
            bat_ext=".sh", set_env='export ${key}="${value}"', env_separator=":", env_var="${env_var}",
            set_exec_file='chmod 755 "${file_name}"', bat_rem="# ${rem}",
            run_local_bat=". ./${bat_file}", run_local_bat_from_python='bash -c ". ./${bat_file}"',
            run_bat=". ${bat_file}", start_script=["#!/bin/bash", ""], env={},
        )
    info["platform"] = name
    info["env"][f"{prefix}HOST_OS_TYPE"] = name
    info["env"][f"{prefix}HOST_PLATFORM_FLAVOR"] = _machine()
    bits = str(i.get("bits", "") or "")
    if not bits:
        machine = _machine().lower()
        bits = "64" if ("64" in machine or python_bits == "64" or machine in ("s390x",)) else "32"
    info["bits"] = bits
    info["python_bits"] = python_bits
    return {"return": 0, "info": info}
