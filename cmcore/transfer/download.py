"""Downloading files with the standard library only (no ``requests``).

What this adds over a plain ``urlopen``:

* mirrors are tried in turn (:func:`download_any`);
* md5 and sha256 verification; a file that fails it is deleted, and an existing file that
  passes it is not downloaded again;
* the download goes to ``<name>.part`` and is renamed only when complete and verified, so a
  killed run never leaves a file that looks finished;
* an interrupted download resumes with an HTTP ``Range`` request; transient failures are
  retried with exponential backoff; HTTP 4xx errors are not retried and give one line
  naming the URL and the status;
* TLS certificates are verified unless the caller says otherwise;
* a progress bar on stderr, only when stderr is a terminal.

Every failure is a :class:`DownloadError` (a ``CMError``) with a one-line message.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import IO

from cmcore.errors import GENERIC, NOT_FOUND, CMError

CHUNK = 1 << 16
USER_AGENT = "cm-scripts-mlops/0.1 (+python-urllib)"
# Client errors worth retrying: the server asked us to come back later.
RETRYABLE_4XX = {408, 425, 429}
SCHEMES = ("http", "https", "ftp", "file")


class DownloadError(CMError):
    """A download that could not be completed (network, HTTP status, checksum)."""


class ChecksumError(DownloadError):
    """The downloaded file does not have the expected md5/sha256."""


@dataclass
class Checksums:
    """Expected digests (hex, case-insensitive); empty means "do not check"."""

    md5: str = ""
    sha256: str = ""

    def __bool__(self) -> bool:
        return bool(self.md5 or self.sha256)


def file_digests(path: str | os.PathLike, algorithms: Sequence[str] = ("md5", "sha256")) -> dict[str, str]:
    """Hex digests of a file for the given hashlib algorithm names, in one read."""
    hashers = {a: hashlib.new(a) for a in algorithms}
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}


def verify_file(path: str | os.PathLike, checksums: Checksums) -> str | None:
    """Return ``None`` if the file matches every given digest, else a one-line reason."""
    wanted = {k: v.strip().lower() for k, v in (("md5", checksums.md5), ("sha256", checksums.sha256)) if v}
    if not wanted:
        return None
    got = file_digests(path, tuple(wanted))
    for algo, value in wanted.items():
        if got[algo] != value:
            return f"{algo} mismatch for {path}: expected {value}, got {got[algo]}"
    return None


def filename_from_url(url: str, default: str = "downloaded-file") -> str:
    """The last path segment of a URL, unquoted (``https://h/a/b.tgz?x=1`` → ``b.tgz``)."""
    path = urllib.parse.urlparse(url).path
    name = posixpath.basename(urllib.parse.unquote(path))
    # A name like ".." or one with a separator would let a URL write outside the target dir.
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        return default
    return name


class _Progress:
    """A one-line progress bar on stderr; silent when stderr is not a terminal."""

    def __init__(self, total: int | None, done: int, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total
        self.done = done
        self._last = 0.0

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2:
            return
        self._last = now
        if self.total:
            pct = min(100.0, 100.0 * self.done / self.total)
            bar = "#" * int(pct / 4)
            self.stream.write(f"\r  [{bar:<25}] {pct:5.1f}% {self.done >> 20} MiB")
        else:
            self.stream.write(f"\r  {self.done >> 20} MiB")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def _ssl_context(verify: bool) -> ssl.SSLContext:
    if verify:
        return ssl.create_default_context()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _total_from_headers(resp, offset: int) -> int | None:
    """The full size of the file, from Content-Range (206) or Content-Length."""
    cr = resp.headers.get("Content-Range", "")
    if "/" in cr:
        tail = cr.rsplit("/", 1)[1].strip()
        if tail.isdigit():
            return int(tail)
    cl = resp.headers.get("Content-Length")
    if cl and cl.isdigit():
        return int(cl) + offset
    return None


def _fetch_once(url: str, part: Path, *, resume: bool, timeout: float, verify_tls: bool,
                progress_stream: IO[str] | None) -> None:
    """One attempt: continue ``part`` from its current size when the server allows it."""
    offset = part.stat().st_size if (resume and part.exists()) else 0
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    req = urllib.request.Request(url, headers=headers)
    try:
        resp = urllib.request.urlopen(req, timeout=timeout, context=_ssl_context(verify_tls))
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:
            # The partial file is not a prefix the server recognises: start again from zero.
            part.unlink(missing_ok=True)
        raise
    with resp:
        status = getattr(resp, "status", 200) or 200
        if offset and status != 206:
            offset = 0  # the server ignored Range and sends the whole file
        total = _total_from_headers(resp, offset)
        bar = _Progress(total, offset, progress_stream)
        mode = "ab" if offset else "wb"
        received = 0
        try:
            with open(part, mode) as out:
                while True:
                    block = resp.read(CHUNK)
                    if not block:
                        break
                    out.write(block)
                    received += len(block)
                    bar.update(len(block))
        finally:
            bar.close()
        expected = None if total is None else total - offset
        if expected is not None and received < expected:
            raise _Truncated(f"connection closed after {offset + received} of {total} bytes")


class _Truncated(Exception):
    """The body ended before Content-Length bytes arrived (the server cut the connection)."""


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code} {e.reason}"
    if isinstance(e, urllib.error.URLError):
        return str(e.reason)
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    checksums: Checksums | None = None,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
    verify_tls: bool = True,
    force: bool = False,
    progress_stream: IO[str] | None = None,
    log: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download ``url`` to ``dest`` and return the path.

    An existing ``dest`` is kept when it passes the checksums (or when none are given and
    ``force`` is false). Otherwise the body is written to ``dest.part`` (resumed from its
    current size when possible), verified, and renamed to ``dest``. Up to ``retries`` more
    attempts are made after a transient failure, waiting ``backoff * 2**n`` seconds.
    """
    checksums = checksums or Checksums()
    dest = Path(dest)
    if urllib.parse.urlparse(url).scheme.lower() not in SCHEMES:
        raise DownloadError(f"download failed: unsupported URL {url!r} (use http, https, ftp or file)", GENERIC)
    say = log or (lambda _m: None)
    if dest.exists() and not force:
        reason = verify_file(dest, checksums) if checksums else None
        if reason is None:
            say(f"{dest} is already there and verified; not downloading it again")
            return dest
        say(f"{dest} exists but does not verify ({reason}); downloading it again")
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if force:
        part.unlink(missing_ok=True)
    attempt = 0
    while True:
        try:
            _fetch_once(url, part, resume=True, timeout=timeout, verify_tls=verify_tls,
                        progress_stream=progress_stream)
            break
        except urllib.error.HTTPError as e:
            if 400 <= e.code < 500 and e.code not in RETRYABLE_4XX:
                part.unlink(missing_ok=True)
                code = NOT_FOUND if e.code in (404, 410) else GENERIC
                raise DownloadError(f"download failed: {url} returned HTTP {e.code} {e.reason}", code) from None
            error: BaseException = e
        except (urllib.error.URLError, HTTPException, OSError, _Truncated) as e:
            error = e
        if attempt >= retries:
            raise DownloadError(
                f"download failed after {attempt + 1} attempts: {url}: {_describe(error)}", GENERIC
            ) from None
        wait = backoff * (2**attempt)
        attempt += 1
        say(f"download of {url} interrupted ({_describe(error)}); retry {attempt}/{retries} in {wait:g}s")
        sleep(wait)
    reason = verify_file(part, checksums)
    if reason is not None:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"checksum failed, bad file deleted: {reason.replace(str(part), url)}", GENERIC)
    os.replace(part, dest)
    return dest


def download_any(
    urls: Sequence[str],
    dest: str | os.PathLike,
    *,
    checksums: Sequence[Checksums | None] | Checksums | None = None,
    log: Callable[[str], None] | None = None,
    **kwargs,
) -> tuple[Path, str]:
    """Try each mirror in order; return ``(path, url_that_worked)``.

    ``checksums`` is either one :class:`Checksums` for every mirror, or one per mirror
    (``None`` entries fall back to the first non-empty one).
    """
    urls = [u for u in urls if u]
    if not urls:
        raise DownloadError("download failed: no URL given (use --url=URL or the _url.URL variation)", GENERIC)
    if isinstance(checksums, Checksums) or checksums is None:
        per_url: list[Checksums | None] = [checksums] * len(urls)
    else:
        per_url = list(checksums) + [None] * (len(urls) - len(checksums))
        fallback = next((c for c in per_url if c), None)
        per_url = [c or fallback for c in per_url]
    say = log or (lambda _m: None)
    errors: list[str] = []
    last_code = GENERIC
    for url, cs in zip(urls, per_url, strict=True):
        try:
            return download(url, dest, checksums=cs, log=log, **kwargs), url
        except DownloadError as e:
            errors.append(e.message)
            last_code = e.code
            if len(urls) > 1:
                say(f"{e.message}; trying the next mirror")
    if len(errors) == 1:
        raise DownloadError(errors[0], last_code)
    raise DownloadError(f"download failed from all {len(urls)} mirrors; last: {errors[-1]}", last_code)


def main(argv: list[str] | None = None) -> int:
    """``python -m cmcore.transfer.download URL [URL...] -o FILE [--md5 X] [--sha256 Y]``."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m cmcore.transfer.download")
    p.add_argument("urls", nargs="+")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--md5", default="")
    p.add_argument("--sha256", default="")
    p.add_argument("--no-verify-tls", action="store_true")
    p.add_argument("--force", action="store_true")
    a = p.parse_args(argv)
    try:
        path, _ = download_any(a.urls, a.output, checksums=Checksums(a.md5, a.sha256),
                               verify_tls=not a.no_verify_tls, force=a.force,
                               log=lambda m: print(m, file=sys.stderr))
    except DownloadError as e:
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
