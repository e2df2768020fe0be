"""The `utils` automation that cm4mlops customize.py files call."""

from __future__ import annotations

import cmcore


def call(action, **kw):
    return cmcore.access({"action": action, "automation": "utils,dc2743f8450541e3", **kw})


def test_compare_versions(cm_session):
    assert call("compare_versions", version1="3.9", version2="3.9.0")["comparison"] == 0
    assert call("compare_versions", version1="3.10", version2="3.9")["comparison"] == 1
    assert call("compare_versions", version1="1.2", version2="1.10")["comparison"] == -1


def test_prune_input(cm_session):
    r = call("prune_input", input={"action": "run", "tags": "x", "docker_os": "ubuntu", "env": {"A": "1"}},
             extra_keys_starts_with=["docker_"])
    assert r["new_input"] == {"tags": "x", "env": {"A": "1"}}


def test_detect_tags_in_artifact(cm_session):
    inp = {"artifact": "get python3", "tags": "_shared"}
    call("detect_tags_in_artifact", input=inp)
    assert inp == {"tags": "_shared,get,python3"}


def test_system_runs_without_a_shell_when_it_can(cm_session, tmp_path):
    r = call("system", cmd="echo hello world", path=str(tmp_path))
    assert r["ret"] == 0 and r["stdout"] == "hello world"
    r = call("system", cmd="echo a | tr a b", path=str(tmp_path))
    assert r["stdout"] == "b"
    r = call("system", cmd=["sh", "-c", "exit 3"])
    assert r["return"] == 0 and r["ret"] == 3
    r = call("system", cmd="definitely-not-a-command-xyz")
    assert r["return"] == 0 and r["ret"] != 0


def test_host_os_info(cm_session):
    r = call("get_host_os_info")
    assert r["return"] == 0 and r["info"]["platform"] == "linux"


def test_download_and_unzip_file(cm_session, tmp_path, monkeypatch):
    import hashlib
    import io
    import zipfile

    from cmcore.testing import FileServer

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("top/sub/a.txt", "A")
        z.writestr("top/b.txt", "B")
    data = buf.getvalue()
    monkeypatch.chdir(tmp_path)
    with FileServer({"pkg.zip": data}) as srv:
        r = call("download_file", url=f"{srv.url}/pkg.zip", sha256=hashlib.sha256(data).hexdigest())
        assert r["return"] == 0 and r["filename"] == "pkg.zip"
        bad = call("download_file", url=f"{srv.url}/pkg.zip", filename="bad.zip", md5sum="0" * 32)
        assert bad["return"] != 0 and not (tmp_path / "bad.zip").exists()
        missing = call("download_file", url=f"{srv.url}/nope.zip")
        assert missing["return"] == 16 and "404" in missing["error"]
    r = call("unzip_file", filename="pkg.zip", strip_folders=1)
    assert r["return"] == 0 and sorted(r["files"]) == ["b.txt", "sub/a.txt"]
    assert (tmp_path / "sub" / "a.txt").read_text() == "A"
    assert call("unzip_file", filename="absent.zip")["return"] == 16
