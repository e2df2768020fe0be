"""cmcore.transfer.download against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io

import pytest

from cmcore.testing import FileServer
from cmcore.transfer.download import (
    ChecksumError,
    Checksums,
    DownloadError,
    download,
    download_any,
    filename_from_url,
    main,
)

BODY = bytes(range(256)) * 4096  # 1 MiB, not all the same byte so offsets matter
MD5 = hashlib.md5(BODY).hexdigest()
SHA256 = hashlib.sha256(BODY).hexdigest()


def no_sleep(_s: float) -> None:
    pass


@pytest.fixture
def server():
    with FileServer({"data.bin": BODY, "small.txt": b"hello\n"}) as s:
        yield s


def test_download_with_good_checksums(server, tmp_path):
    dest = tmp_path / "out" / "data.bin"
    p = download(f"{server.url}/data.bin", dest, checksums=Checksums(md5=MD5, sha256=SHA256))
    assert p == dest and dest.read_bytes() == BODY
    assert not (tmp_path / "out" / "data.bin.part").exists()


def test_existing_verified_file_is_not_downloaded_again(server, tmp_path):
    dest = tmp_path / "data.bin"
    download(f"{server.url}/data.bin", dest, checksums=Checksums(sha256=SHA256))
    n = len(server.requests)
    logs: list[str] = []
    download(f"{server.url}/data.bin", dest, checksums=Checksums(sha256=SHA256), log=logs.append)
    assert len(server.requests) == n
    assert any("already there" in m for m in logs)


def test_existing_bad_file_is_replaced(server, tmp_path):
    dest = tmp_path / "data.bin"
    dest.write_bytes(b"stale")
    download(f"{server.url}/data.bin", dest, checksums=Checksums(md5=MD5))
    assert dest.read_bytes() == BODY


@pytest.mark.parametrize("kind", ["md5", "sha256"])
def test_checksum_mismatch_deletes_the_file(server, tmp_path, kind):
    dest = tmp_path / "data.bin"
    bad = Checksums(**{kind: "0" * (32 if kind == "md5" else 64)})
    with pytest.raises(ChecksumError) as e:
        download(f"{server.url}/data.bin", dest, checksums=bad)
    msg = e.value.message
    assert f"{kind} mismatch" in msg and "bad file deleted" in msg and "\n" not in msg
    assert not dest.exists() and not (tmp_path / "data.bin.part").exists()


def test_interrupted_download_resumes_with_range(server, tmp_path):
    server.cuts["data.bin"] = 2
    server.cut_after = 300_000
    dest = tmp_path / "data.bin"
    logs: list[str] = []
    download(f"{server.url}/data.bin", dest, checksums=Checksums(sha256=SHA256),
             sleep=no_sleep, log=logs.append)
    assert dest.read_bytes() == BODY
    ranges = [r for name, r in server.requests if name == "data.bin"]
    assert ranges == [None, "bytes=300000-", "bytes=600000-"]
    assert sum("retry" in m for m in logs) == 2


def test_resume_when_server_ignores_range(server, tmp_path):
    server.range_support = False
    server.cuts["data.bin"] = 1
    server.cut_after = 1000
    dest = tmp_path / "data.bin"
    download(f"{server.url}/data.bin", dest, checksums=Checksums(md5=MD5), sleep=no_sleep)
    assert dest.read_bytes() == BODY  # restarted from zero instead of appending twice


def test_retries_use_exponential_backoff_then_give_up(server, tmp_path):
    server.cuts["data.bin"] = 10
    server.cut_after = 10
    waits: list[float] = []
    with pytest.raises(DownloadError) as e:
        download(f"{server.url}/data.bin", tmp_path / "d", retries=3, backoff=0.5, sleep=waits.append)
    assert waits == [0.5, 1.0, 2.0]
    assert "after 4 attempts" in e.value.message


def test_404_is_one_clear_line_and_not_retried(server, tmp_path):
    url = f"{server.url}/missing.tgz"
    with pytest.raises(DownloadError) as e:
        download(url, tmp_path / "m", sleep=no_sleep)
    assert e.value.message == f"download failed: {url} returned HTTP 404 Not Found"
    assert e.value.code == 16
    assert len(server.requests) == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "m.part").exists()


def test_mirrors_are_tried_in_turn(server, tmp_path):
    logs: list[str] = []
    path, used = download_any([f"{server.url}/gone", f"{server.url}/data.bin"], tmp_path / "x",
                              checksums=Checksums(md5=MD5), log=logs.append)
    assert used.endswith("/data.bin") and path.read_bytes() == BODY
    assert any("next mirror" in m for m in logs)


def test_per_mirror_checksums(server, tmp_path):
    path, _ = download_any([f"{server.url}/small.txt"], tmp_path / "s",
                           checksums=[Checksums(md5=hashlib.md5(b"hello\n").hexdigest())])
    assert path.read_bytes() == b"hello\n"


def test_all_mirrors_failing(server, tmp_path):
    with pytest.raises(DownloadError) as e:
        download_any([f"{server.url}/a", f"{server.url}/b"], tmp_path / "x")
    assert "all 2 mirrors" in e.value.message


def test_no_url_and_bad_scheme(tmp_path):
    with pytest.raises(DownloadError, match="no URL given"):
        download_any(["", ""], tmp_path / "x")
    with pytest.raises(DownloadError, match="unsupported URL"):
        download("nosuch://host/file", tmp_path / "x")


def test_connection_refused_is_retried_then_reported(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    waits: list[float] = []
    with pytest.raises(DownloadError) as e:
        download(f"http://127.0.0.1:{port}/f", tmp_path / "f", retries=1, sleep=waits.append)
    assert waits == [1.0] and "refused" in e.value.message.lower()


def test_progress_only_on_a_tty(server, tmp_path):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, plain = Tty(), io.StringIO()
    download(f"{server.url}/data.bin", tmp_path / "a", progress_stream=tty)
    download(f"{server.url}/data.bin", tmp_path / "b", progress_stream=plain)
    assert "%" in tty.getvalue()
    assert plain.getvalue() == ""


def test_filename_from_url():
    assert filename_from_url("https://h/a/b.tar.gz?x=1") == "b.tar.gz"
    assert filename_from_url("https://h/a%20b.zip") == "a b.zip"
    assert filename_from_url("https://h/") == "downloaded-file"
    assert filename_from_url("https://h/x/..") == "downloaded-file"


def test_cli(server, tmp_path, capsys):
    out = tmp_path / "cli.bin"
    assert main([f"{server.url}/data.bin", "-o", str(out), "--sha256", SHA256]) == 0
    assert out.read_bytes() == BODY
    assert main([f"{server.url}/nope", "-o", str(tmp_path / "n")]) == 1
    assert "HTTP 404" in capsys.readouterr().err
