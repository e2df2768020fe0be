"""cm docker script / cm dockerfile script: the generated Dockerfile, checked by content and syntax."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from cmcore.dockergen.check import check_dockerfile


def _instructions(text: str) -> list[str]:
    from cmcore.dockergen.check import logical_lines

    return [line for _n, line in logical_lines(text)]


def test_dockerfile_for_the_mlperf_digits_workflow(cm_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cm_session.access({"action": "docker", "automation": "script", "tags": "app,mlperf,inference,_onnxruntime,_cpu",
                           "model": "digits", "test_query_count": "100", "dockerfile_only": True,
                           "env": {"HF_TOKEN": "hf_secret_value", "CM_X": "1"}})
    assert r["return"] == 0, r.get("error")
    path = tmp_path / "dockerfiles" / "app-mlperf-inference-ubuntu_24.04.Dockerfile"
    assert r["dockerfile"] == str(path.relative_to(tmp_path)) or r["dockerfile"] == str(path)
    text = path.read_text()
    assert check_dockerfile(text) == []
    ins = _instructions(text)
    assert ins[0] == "FROM ubuntu:24.04"
    assert any(x.startswith("RUN pip install ") and "cm_scripts_mlops" in x and "cm_backend_onnx" in x for x in ins)
    pre = [x for x in ins if x.startswith("RUN cmr ")]
    assert pre == ["RUN cmr 'app mlperf inference _onnxruntime _cpu' --model=digits --test_query_count=100 "
                   "--env.CM_X=1 --quiet --fake_run"]
    cmd = json.loads(ins[-1][len("CMD "):])
    assert ins[-1].startswith("CMD ")
    assert cmd == ["cmr", "app mlperf inference _onnxruntime _cpu", "--model=digits", "--test_query_count=100",
                   "--env.CM_X=1", "--quiet"]
    assert "hf_secret_value" not in text and "HF_TOKEN" not in text.split("# secret flags")[0].split("CMD")[-1]
    assert "docker build -f" in r["build_command"]


def test_os_flags_and_meta_docker_section(cm_repo, cm_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    meta = {"tags": ["dock", "me"], "docker": {"os": "debian", "os_version": "12", "pre_run_cmds": ["echo hello"],
                                                 "deps": [{"tags": "detect,os"}], "mounts": ["/data:/data"],
                                                 "shm_size": "2g", "real_run": True},
            "variations": {"gpu": {"docker": {"base_image": "nvcr.io/nvidia/pytorch:24.01-py3", "all_gpus": "yes"}}}}
    cm_repo("dock-repo", {"dock-me": {"meta": meta, "files": {"run.sh": "echo hi\n"}}})
    r = cm_session.access({"action": "dockerfile", "automation": "script", "tags": "dock,me",
                           "dockerfile": str(tmp_path / "D1")})
    assert r["return"] == 0, r.get("error")
    ins = _instructions((tmp_path / "D1").read_text())
    assert ins[0] == "FROM debian:12"
    assert "RUN echo hello" in ins and 'RUN cmr "detect os" --quiet' in ins
    assert "RUN cmr 'dock me' --quiet" in ins  # real_run: no --fake_run
    assert "-v /data:/data" in r["run_command"] and "--shm-size=2g" in r["run_command"]
    r = cm_session.access({"action": "dockerfile", "automation": "script", "tags": "dock,me,_gpu",
                           "dockerfile": str(tmp_path / "D2")})
    assert _instructions((tmp_path / "D2").read_text())[0] == "FROM nvcr.io/nvidia/pytorch:24.01-py3"
    assert "--gpus=all" in r["run_command"]
    r = cm_session.access({"action": "dockerfile", "automation": "script", "tags": "dock,me",
                           "docker_os": "ubuntu", "docker_os_version": "22.04", "dockerfile": str(tmp_path / "D3")})
    assert _instructions((tmp_path / "D3").read_text())[0] == "FROM ubuntu:22.04"
    r = cm_session.access({"action": "dockerfile", "automation": "script", "tags": "dock,me",
                           "docker_base_image": "python:3.12-slim", "docker_cm_source": "pypi",
                           "dockerfile": str(tmp_path / "D4")})
    text = (tmp_path / "D4").read_text()
    assert _instructions(text)[0] == "FROM python:3.12-slim" and "RUN pip install " in text and " cmcore==" in text
    assert "repo dock-repo is a local folder" in text


@pytest.mark.skipif(shutil.which("docker") is not None and subprocess.run(["docker", "info"],
                    capture_output=True).returncode == 0, reason="a Docker engine is running here")
def test_without_a_docker_engine_one_line(cm_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = cm_session.access({"action": "docker", "automation": "script", "tags": "detect,os"})
    assert r["return"] == 1 and r["error"].startswith("no Docker engine here") and "\n" not in r["error"]
    assert (tmp_path / r["dockerfile"]).is_file() or r["dockerfile"]


def test_docker_errors(cm_session):
    r = cm_session.access({"action": "docker", "automation": "script", "tags": "no,such,thing"})
    assert r["return"] == 16
    r = cm_session.access({"action": "dockerfile", "automation": "script", "tags": "get"})
    assert r["return"] == 1 and "name one" in r["error"]


@pytest.mark.parametrize("text,problem", [
    ("RUN echo hi\nFROM ubuntu\n", "RUN before FROM"),
    ("FROM ubuntu\nRUNN echo\n", "unknown instruction 'RUNN'"),
    ("FROM ubuntu\nRUN echo \\\n", "continuation backslash ends the file"),
    ("FROM ubuntu\nCMD [\"a\", \n", "continuation" if False else "not a valid JSON array"),
    ("FROM ubuntu\nCMD [1, 2]\n", "array of strings"),
    ("# only a comment\n", "no FROM"),
    ("FROM ubuntu\nENV A=1 B\n", "ENV pair 'B'"),
])
def test_syntax_check_catches(text, problem):
    assert any(problem in p for p in check_dockerfile(text)), check_dockerfile(text)


def test_syntax_check_accepts_arg_first_and_continuations():
    text = "ARG V=1\nFROM ubuntu:${V}\n# c\nRUN a \\\n  # inner comment\n  && b\nCMD [\"x\"]\n"
    assert check_dockerfile(text) == []


def test_dockerfile_and_repro_work_without_pytest_installed(cm_repo, cm_home, tmp_path):
    """A user's install has no pytest: generating a Dockerfile must not import cmcore.testing."""
    import os
    import sys

    cm_repo("dock-repo", {"dock-np": {"meta": {"tags": ["dock", "np"]}, "files": {"run.sh": "echo hi\n"}}})
    code = ("import sys; sys.modules['pytest'] = None; from cmcore.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    env = {**os.environ, "CM_HOME": str(cm_home)}
    for args in (["dockerfile", "script", "dock,np", f"--dockerfile={tmp_path / 'D'}"],
                 ["run", "script", "dock,np", "--repro", "--quiet"]):
        r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
        assert r.returncode == 0, r.stderr
    assert (tmp_path / "D").is_file() and (tmp_path / "cm-repro" / "Dockerfile").is_file()
