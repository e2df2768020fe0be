"""A real HTTP file server on 127.0.0.1 for download tests (http.server in a thread).

It serves ``files`` (name → bytes) with ``Range`` support, and can be told to cut the
connection after ``cut_after`` bytes for the next ``cuts`` requests of a file, which
is how an interrupted download is produced.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FileServer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.cuts: dict[str, int] = {}  # name -> how many more requests to cut
        self.cut_after = 0
        self.range_support = True
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.agents: list[str] = []  # User-Agent of each request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802 - http.server API
                name = self.path.lstrip("/").split("?")[0]
                rng = self.headers.get("Range")
                server.requests.append((name, rng))
                server.agents.append(self.headers.get("User-Agent", ""))
                body = server.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                start = 0
                if rng and server.range_support and rng.startswith("bytes="):
                    start = int(rng[6:].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                chunk = body[start:]
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if server.cuts.get(name, 0) > 0:
                    server.cuts[name] -= 1
                    self.wfile.write(chunk[: server.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
