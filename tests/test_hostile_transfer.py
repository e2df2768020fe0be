"""Hostile input to downloads and archive extraction (cmcore.transfer).

* TLS is verified by default: a local HTTPS server with a self-signed certificate must fail
  unless verification is switched off, and nothing is left behind;
* checksums are enforced when given, and a mismatching file is deleted;
* archives cannot write outside the target folder: ``../`` members, absolute members,
  symlinks and hard links pointing outside are refused before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import ssl
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from cmcore.errors import CMError
from cmcore.testing import FileServer
from cmcore.transfer.download import Checksums, download
from cmcore.transfer.extract import extract

BODY = b"hello, verified world\n" * 100


@pytest.fixture
def https_server(tmp_path: Path):
    """The test FileServer behind TLS with a fresh self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=120)
    server = FileServer({"f.bin": BODY})
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.httpd.socket = ctx.wrap_socket(server.httpd.socket, server_side=True)
    with server:
        host, port = server.httpd.server_address[:2]
        yield f"https://{host}:{port}", server


def test_https_self_signed_fails_by_default_and_leaves_nothing(https_server, tmp_path: Path) -> None:
    url, _server = https_server
    dest = tmp_path / "out" / "f.bin"
    dest.parent.mkdir()
    with pytest.raises(CMError) as info:
        download(f"{url}/f.bin", dest, retries=0, sleep=lambda _s: None)
    msg = info.value.message
    assert info.value.code != 0 and "\n" not in msg
    assert "certif" in msg.lower() or "ssl" in msg.lower(), msg
    assert list(dest.parent.iterdir()) == [], "a failed TLS download must leave no file or .part"


def test_https_self_signed_works_only_when_verification_is_off(https_server, tmp_path: Path) -> None:
    url, _server = https_server
    dest = download(f"{url}/f.bin", tmp_path / "f.bin", retries=0, verify_tls=False,
                    checksums=Checksums(sha256=hashlib.sha256(BODY).hexdigest()))
    assert dest.read_bytes() == BODY


def test_checksum_mismatch_deletes_the_file(tmp_path: Path) -> None:
    with FileServer({"f.bin": BODY}) as server:
        dest = tmp_path / "f.bin"
        with pytest.raises(CMError) as info:
            download(f"{server.url}/f.bin", dest, retries=0, checksums=Checksums(sha256="0" * 64),
                     sleep=lambda _s: None)
        assert "\n" not in info.value.message and info.value.code != 0
        assert not dest.exists() and not Path(str(dest) + ".part").exists()
        assert list(tmp_path.iterdir()) == []


def test_existing_file_with_wrong_checksum_is_replaced(tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    dest.write_bytes(b"tampered")
    with FileServer({"f.bin": BODY}) as server:
        download(f"{server.url}/f.bin", dest, retries=0, checksums=Checksums(md5=hashlib.md5(BODY).hexdigest()))
    assert dest.read_bytes() == BODY


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/etc/passwd", "gopher://x/", "file"])
def test_unsupported_url_schemes_are_one_line_errors(url: str, tmp_path: Path) -> None:
    with pytest.raises(CMError) as info:
        download(url, tmp_path / "x", retries=0)
    assert "\n" not in info.value.message


# -- archives --------------------------------------------------------------------------------


def _tar(path: Path, members: list[tuple[str, str, str]]) -> Path:
    """members: (name, kind, data/linkname) with kind "file", "sym" or "hard"."""
    with tarfile.open(path, "w:gz") as tf:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data.encode()))
            else:
                info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
                info.linkname = data
                tf.addfile(info)
    return path


def _zip(path: Path, members: list[tuple[str, str, str]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, kind, data in members:
            if kind == "file":
                zf.writestr(name, data)
            else:
                info = zipfile.ZipInfo(name)
                info.external_attr = (0o120777 << 16)  # a symlink entry, as `zip -y` writes it
                zf.writestr(info, data)
    return path


HOSTILE_MEMBERS = [
    ("dotdot", [("ok.txt", "file", "fine"), ("../escaped.txt", "file", "pwned")]),
    ("nested-dotdot", [("a/b/../../../escaped.txt", "file", "pwned")]),
    ("absolute", [("/tmp/cm-hostile-absolute-escaped.txt", "file", "pwned")]),
    ("symlink-out", [("link", "sym", "../outside"), ("link/escaped.txt", "file", "pwned")]),
    ("symlink-abs", [("etc", "sym", "/etc")]),
    ("hardlink-out", [("h", "hard", "../../etc/passwd")]),
]


@pytest.mark.parametrize("fmt", ["tar", "zip"])
@pytest.mark.parametrize("case,members", HOSTILE_MEMBERS, ids=[c for c, _ in HOSTILE_MEMBERS])
def test_archive_members_cannot_escape(fmt: str, case: str, members, tmp_path: Path) -> None:
    if fmt == "zip" and any(kind == "hard" for _n, kind, _d in members):
        pytest.skip("zip has no hard links")
    box = tmp_path / "box"
    target = box / "target"
    (box / "outside").mkdir(parents=True)
    archive = (_tar if fmt == "tar" else _zip)(tmp_path / f"a.{'tar.gz' if fmt == 'tar' else 'zip'}", members)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(CMError) as info:
        extract(archive, target)
    assert info.value.code != 0 and "\n" not in info.value.message
    assert "outside" in info.value.message
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    new = [p for p in after if p not in before]
    assert all(str(p).startswith("box/target") for p in new), new
    assert not (box / "escaped.txt").exists() and not (box / "outside" / "escaped.txt").exists()
    assert not Path("/tmp/cm-hostile-absolute-escaped.txt").exists()
    # nothing was written at all: the archive is checked before extraction starts
    assert not target.exists() or not any(target.rglob("*.txt")), list(target.rglob("*"))


def test_links_inside_the_target_are_fine(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "ok.tar.gz", [("d/real.txt", "file", "x"), ("d/link", "sym", "real.txt")])
    extract(archive, tmp_path / "t")
    assert os.readlink(tmp_path / "t" / "d" / "link") == "real.txt"
    assert (tmp_path / "t" / "d" / "link").read_text() == "x"
