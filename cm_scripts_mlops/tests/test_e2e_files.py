"""download-file, extract-file, download-and-extract and get-git-repo end to end, offline:
files come from an HTTP server on 127.0.0.1 and repos are made in tmp folders."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from cmcore.testing import FileServer


def _targz(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


MODEL = _targz({"model/weights.bin": b"\x00" * 1000, "model/config.json": b"{}"})
EVIL = _targz({"../../escaped.txt": b"pwned"})


@pytest.fixture
def server():
    with FileServer({"model.tar.gz": MODEL, "evil.tar.gz": EVIL, "f.txt": b"payload\n"}) as s:
        yield s


def test_download_file_with_md5_and_sha256(ok, server, clean_env):
    env = ok("download,file", url=f"{server.url}/f.txt", md5sum=hashlib.md5(b"payload\n").hexdigest(),
             sha256=hashlib.sha256(b"payload\n").hexdigest(), env={"CM_DOWNLOAD_FINAL_ENV_NAME": "MY_FILE"})
    path = Path(env["CM_DOWNLOAD_DOWNLOADED_PATH"])
    assert path == clean_env / "f.txt" and path.read_bytes() == b"payload\n"
    assert env["MY_FILE"] == str(path)
    n = len(server.requests)
    ok("download,file", url=f"{server.url}/f.txt", md5sum=hashlib.md5(b"payload\n").hexdigest())
    assert len(server.requests) == n  # a verified file is not downloaded again


def test_download_file_url_variation(ok, server, clean_env):
    env = ok(f"download,file,_url.{server.url}/f.txt", output_file="renamed.txt")
    assert Path(env["CM_DOWNLOAD_DOWNLOADED_PATH"]) == clean_env / "renamed.txt"


def test_download_file_bad_checksum_deletes_the_file(run, server, clean_env):
    r = run("download,file", url=f"{server.url}/f.txt", sha256="0" * 64)
    assert r["return"] != 0 and "sha256 mismatch" in r["error"] and "\n" not in r["error"]
    assert not (clean_env / "f.txt").exists() and not (clean_env / "f.txt.part").exists()


def test_download_file_404_is_one_clear_line(run, server):
    url = f"{server.url}/nope.bin"
    r = run("download,file", url=url)
    assert r["return"] == 16
    assert r["error"] == f"download failed: {url} returned HTTP 404 Not Found"


def test_download_file_resumes_after_a_cut(ok, server, clean_env):
    server.cuts["model.tar.gz"] = 1
    server.cut_after = 100
    env = ok("download,file", url=f"{server.url}/model.tar.gz", md5sum=hashlib.md5(MODEL).hexdigest())
    assert Path(env["CM_DOWNLOAD_DOWNLOADED_PATH"]).read_bytes() == MODEL
    assert [r for n, r in server.requests if n == "model.tar.gz"] == [None, "bytes=100-"]


@pytest.mark.parametrize("tool", ["wget", "curl"])
def test_download_file_with_external_tools(ok, run, server, clean_env, tool):
    import shutil

    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed")
    env = ok(f"download,file,_{tool}", url=f"{server.url}/f.txt", md5sum=hashlib.md5(b"payload\n").hexdigest())
    assert Path(env["CM_DOWNLOAD_DOWNLOADED_PATH"]).read_bytes() == b"payload\n"
    r = run(f"download,file,_{tool}", url=f"{server.url}/f.txt", output_file="g.txt", md5sum="0" * 32)
    assert r["return"] != 0 and "md5 mismatch" in r["error"]
    assert not (clean_env / "g.txt").exists()


def test_download_file_without_url(run):
    r = run("download,file")
    assert r["return"] == 16 and "--url" in r["error"]


def test_extract_file_and_traversal_refused(ok, run, clean_env):
    good = clean_env / "model.tar.gz"
    good.write_bytes(MODEL)
    env = ok("extract,file", input=str(good), extract_path=str(clean_env / "out"),
             env={"CM_EXTRACT_FINAL_ENV_NAME": "MODEL_DIR"})
    assert (clean_env / "out" / "model" / "config.json").read_text() == "{}"
    assert env["CM_EXTRACT_EXTRACTED_PATH"] == str(clean_env / "out") == env["MODEL_DIR"]
    assert env["CM_EXTRACT_EXTRACTED_TOP_LEVEL"] == str(clean_env / "out" / "model")
    assert good.exists()  # the user's archive is kept by default
    evil = clean_env / "evil.tar.gz"
    evil.write_bytes(EVIL)
    target = clean_env / "a" / "b"
    r = run(f"extract,file,_path.{evil}", extract_path=str(target))
    assert r["return"] != 0 and "refusing to extract evil.tar.gz" in r["error"]
    assert not (clean_env / "escaped.txt").exists() and not (clean_env / "a" / "escaped.txt").exists()


def test_download_and_extract(ok, server, clean_env):
    env = ok("dae,file,_extract", url=f"{server.url}/model.tar.gz", extract_path=str(clean_env / "x"),
             md5sum=hashlib.md5(MODEL).hexdigest(), env={"CM_DAE_FINAL_ENV_NAME": "MODEL_PATH"})
    assert (clean_env / "x" / "model" / "weights.bin").stat().st_size == 1000
    assert env["MODEL_PATH"] == str(clean_env / "x") == env["CM_EXTRACT_EXTRACTED_PATH"]
    assert Path(env["CM_DOWNLOAD_DOWNLOADED_PATH"]).is_file()


def test_download_and_extract_curl_really_uses_curl(ok, server, clean_env):
    import shutil

    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    ok("dae,file,_curl", url=f"{server.url}/f.txt")
    assert (clean_env / "f.txt").read_bytes() == b"payload\n"
    assert server.agents[-1].lower().startswith("curl/")  # the original used wget here


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@e", "HOME": str(cwd), "PATH": "/usr/bin:/bin"}
                          ).stdout.strip()


@pytest.fixture
def upstream(tmp_path):
    up = tmp_path / "upstream"
    up.mkdir()
    _git(up, "init", "-q", "-b", "main")
    (up / "f.txt").write_text("v1\n")
    _git(up, "add", "f.txt")
    _git(up, "commit", "-q", "-m", "one")
    first = _git(up, "rev-parse", "HEAD")
    _git(up, "tag", "v1.0")
    (up / "f.txt").write_text("v2\n")
    _git(up, "commit", "-q", "-am", "two")
    _git(up, "checkout", "-q", "-b", "feature")
    (up / "f.txt").write_text("feature\n")
    _git(up, "commit", "-q", "-am", "three")
    _git(up, "checkout", "-q", "main")
    return up, first


def test_get_git_repo_branch_tag_sha(ok, upstream):
    up, first = upstream
    env = ok(f"get,git,repo,_repo.{up}", env={"CM_GIT_CHECKOUT_PATH_ENV_NAME": "MY_SRC"})
    checkout = Path(env["CM_GIT_REPO_CHECKOUT_PATH"])
    assert (checkout / "f.txt").read_text() == "v2\n" and env["MY_SRC"] == str(checkout)
    assert env["CM_GIT_REPO_CURRENT_BRANCH"] == "main"
    env = ok(f"get,git,repo,_repo.{up},_branch.feature")
    assert (Path(env["CM_GIT_REPO_CHECKOUT_PATH"]) / "f.txt").read_text() == "feature\n"
    env = ok(f"get,git,repo,_repo.{up},_tag.v1.0")
    assert (Path(env["CM_GIT_REPO_CHECKOUT_PATH"]) / "f.txt").read_text() == "v1\n"
    env = ok(f"get,git,repo,_repo.{up},_sha.{first}")
    assert env["CM_GIT_REPO_CURRENT_HASH"] == first


def test_get_git_repo_is_cached_and_pull_updates(ok, upstream):
    up, _ = upstream
    a = ok(f"get,git,repo,_repo.{up}")
    b = ok(f"get,git,repo,_repo.{up}")
    assert a["CM_GIT_REPO_CHECKOUT_PATH"] == b["CM_GIT_REPO_CHECKOUT_PATH"]
    (up / "f.txt").write_text("v3\n")
    _git(up, "commit", "-q", "-am", "four")
    c = ok(f"get,git,repo,_repo.{up}", pull=True)
    assert (Path(c["CM_GIT_REPO_CHECKOUT_PATH"]) / "f.txt").read_text() == "v3\n"


def test_get_git_repo_bad_url_is_an_error(run, tmp_path):
    r = run(f"get,git,repo,_repo.{tmp_path}/no-such-repo")
    assert r["return"] == 2
