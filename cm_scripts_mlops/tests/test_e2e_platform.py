"""Platform scripts end to end, through ``cm run script`` on this machine."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

import pytest


def test_detect_os_exports(ok):
    env = ok("detect,os")
    assert env["CM_HOST_OS_TYPE"] == platform.system().lower()
    assert env["CM_HOST_OS_BITS"] in ("32", "64") and env["CM_HOST_PYTHON_BITS"] in ("32", "64")
    assert env["CM_HOST_PLATFORM_FLAVOR"] == platform.machine()
    assert env["CM_HOST_OS_KERNEL_VERSION"] == platform.release()
    assert env["CM_RUN_INSIDE_DOCKER"] in ("yes", "no")  # exported (the original did not)
    if Path("/etc/os-release").exists():
        ids = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
        assert env["CM_HOST_OS_FLAVOR"] == ids["ID"].strip('"').lower()
        assert env["CM_HOST_OS_PACKAGE_MANAGER"] and env["CM_HOST_OS_PACKAGE_MANAGER_INSTALL_CMD"]
    if platform.system() == "Linux":
        assert isinstance(env["+CM_HOST_OS_DEFAULT_LIBRARY_PATH"], list)
        assert env["CM_HOST_OS_GLIBC_VERSION"][0].isdigit()


def test_cmr_detect_os_json_on_stdout(cm_cli, clean_env):
    r = cm_cli("run", "script", "detect os", "-j")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["return"] == 0 and out["new_env"]["CM_HOST_OS_TYPE"] == platform.system().lower()
    # An uncached script leaves no tmp files in the user's folder.
    assert not list(clean_env.glob("tmp-*"))


def test_detect_cpu_exports(ok):
    env = ok("detect,cpu")
    logical = int(env["CM_HOST_CPU_TOTAL_LOGICAL_CORES"])
    assert logical == os.cpu_count()
    assert 1 <= int(env["CM_HOST_CPU_TOTAL_PHYSICAL_CORES"]) <= logical
    assert env["CM_HOST_CPU_MODEL_NAME"]
    assert env["CM_HOST_MEMORY_CAPACITY"] and env["CM_HOST_DISK_CAPACITY"]
    for isa in ("AVX2", "AVX512F", "AVX512_VNNI", "AMX", "NEON"):
        assert env[f"CM_HOST_CPU_FLAGS_{isa}"] in ("yes", "no")
    if Path("/proc/cpuinfo").exists():
        has_avx2 = " avx2" in Path("/proc/cpuinfo").read_text()
        assert (env["CM_HOST_CPU_FLAGS_AVX2"] == "yes") == has_avx2


def test_print_hello_world_env_precedence(run):
    r = run("print,hello-world", env={"CM_ENV_TEST1": "x", "CM_ENV_TEST2": "y"})
    assert r["return"] == 0
    assert r["new_env"]["CM_ENV_TEST1"] == "x"  # default_env never overrides
    assert r["new_env"]["CM_ENV_TEST2"] == "TEST2"  # meta env wins over --env
    assert r["new_env"]["CM_NEW_VAR_FROM_RUN"] == "x"
    r = run("print,hello-world", env={"CM_ENV_TEST1": "x"}, test1="z")
    assert r["new_env"]["CM_ENV_TEST1"] == "z"  # a mapped flag wins over everything


def test_print_any_text(run, capfd):
    r = run("print,any-text,_text.hello-there", os_env_keys="HOME")
    assert r["return"] == 0
    cap = capfd.readouterr()
    out = cap.out + cap.err  # the native script's output goes to the log (stderr)
    assert "hello-there" in out and f"HOME = {os.environ['HOME']}" in out


def test_generic_sys_util_detects_an_installed_tool(ok):
    env = ok("get,generic-sys-util,_git")
    assert env["CM_SYS_UTIL_GIT_INSTALLED"] == "yes"
    assert env["CM_SYS_UTIL_GIT_PATH"] == shutil.which("git")
    assert env["CM_GIT_VERSION"][0].isdigit()


def test_generic_sys_util_without_a_utility_is_a_clear_error(run):
    r = run("get,generic-sys-util")
    assert r["return"] == 16 and "no utility selected" in r["error"] and "_cmake" in r["error"]


def test_sys_utils_cm_reports_missing(ok):
    env = ok("get,sys-utils-cm")
    assert "CM_SYS_UTILS_MISSING" in env


@pytest.mark.skipif(not shutil.which("gcc"), reason="gcc is not installed")
def test_get_gcc_and_compile_program(ok, clean_env):
    env = ok("get,gcc")
    assert env["CM_GCC_BIN_WITH_PATH"] == shutil.which("gcc")
    assert env["CM_C_COMPILER_BIN"] == "gcc" and env["CM_COMPILER_FAMILY"] == "GCC"
    src = clean_env / "src"
    src.mkdir()
    (src / "main.c").write_text('#include <stdio.h>\nint twice(int);\n'
                                'int main(void){printf("hello %d\\n", twice(21));return 0;}\n')
    (src / "twice.c").write_text("int twice(int x){return 2*x;}\n")
    env = ok("compile,program", source_dir=str(src), bin_name="hello")
    binary = Path(env["CM_COMPILED_BIN_WITH_PATH"])
    assert binary.name == "hello" and binary.is_file()
    assert subprocess.run([str(binary)], capture_output=True, text=True).stdout == "hello 42\n"
    assert not list(clean_env.glob("*.o"))


def test_compile_program_errors(run, clean_env):
    empty = clean_env / "empty"
    empty.mkdir()
    r = run("compile,program", source_dir=str(empty))
    assert r["return"] == 16 and "no C/C++ sources" in r["error"]
    (empty / "bad.c").write_text("int main( { return 0; }\n")
    r = run("compile,program", source_dir=str(empty))
    assert r["return"] == 2


def test_get_compiler_picks_one_deterministically(ok):
    env = ok("get,compiler")
    assert env["CM_C_COMPILER_WITH_PATH"] and env["CM_COMPILER_VERSION"]


def test_get_llvm_missing_is_one_line(run, monkeypatch, tmp_path):
    (tmp_path / "empty-bin").mkdir()
    r = run("get,llvm", path=str(tmp_path / "empty-bin"))
    assert r["return"] == 16 and "clang not found" in r["error"] and "\n" not in r["error"]


def test_user_repo_overrides_a_bundled_script(cm_repo, cm_session, run):
    """A script with the same tags in a user's repo wins when its meta `sort` is lower."""
    cm_repo("mine", {
        "my-detect-os": {
            "meta": {"tags": ["detect-os", "detect", "os", "info"], "sort": -1000,
                     "new_env_keys": ["CM_HOST_OS_TYPE"]},
            "files": {"run.sh": 'echo "CM_HOST_OS_TYPE=overridden" > tmp-run-env.out\n'},
        },
    })
    for _ in range(2):  # the same answer every time
        r = run("detect,os")
        assert r["return"] == 0 and r["new_env"]["CM_HOST_OS_TYPE"] == "overridden"

    # The bundled script stays reachable by its name.
    r = cm_session.access({"action": "run", "automation": "script", "artifact": "detect-os", "quiet": True})
    assert r["return"] == 0 and r["new_env"]["CM_HOST_OS_TYPE"] == platform.system().lower()
