"""``make demo``: find the best way to run the built-in digits model on this machine.

Runs ``cmr "explore mlperf inference" --model=digits --constraints=accuracy>=0.97`` end to
end: the hardware and backend plugins say what this machine offers, every point runs MLPerf
LoadGen (performance and accuracy) through the harness, results land in the results store,
and the recommendation, the command that reproduces it and the report path are printed.
A second run reuses every measurement from the store.

``python -m cmcore.demo --docs docs`` also writes ``docs/demo-output.txt`` (what was printed)
and ``docs/report.png`` (the HTML report as headless Chromium shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEMO_INPUT = {"action": "run", "automation": "script", "tags": "explore,mlperf,inference",
              "model": "digits", "constraints": "accuracy>=0.97", "objective": "throughput"}


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 1500) -> bool:
    """A PNG of ``html`` by headless Chromium; False when Chromium is not installed or fails."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return False
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                            "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}",
                            "--hide-scrollbars", f"--screenshot={png}", f"--window-size={width},{height}",
                            html.as_uri()], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    return p.returncode == 0 and png.is_file()


def main(argv: list[str] | None = None) -> int:
    """Run the demo; return the exit code."""
    ap = argparse.ArgumentParser(prog="python -m cmcore.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", help="also write demo-output.txt and report.png into this folder")
    args = ap.parse_args(argv)
    from cmcore.session import Session

    session = Session()
    print(f"cm demo: best stack for the digits model on this machine (CM home: {session.home})", flush=True)
    start = time.monotonic()
    captured = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, s: str) -> int:
            captured.write(s)
            return sys.__stdout__.write(s) if sys.__stdout__ else len(s)

        def flush(self) -> None:
            if sys.__stdout__:
                sys.__stdout__.flush()

    with contextlib.redirect_stdout(Tee()):
        r = session.access(dict(DEMO_INPUT))
    took = time.monotonic() - start
    if r.get("return", 0):
        print(f"cm demo failed: {r.get('error')}", file=sys.stderr)
        return int(r["return"])
    print(f"Done in {took:.0f} s.")
    env = r.get("new_env") or {}
    if args.docs:
        docs = Path(args.docs)
        docs.mkdir(parents=True, exist_ok=True)
        text = captured.getvalue()
        command = 'cmr "explore mlperf inference" --model=digits --constraints="accuracy>=0.97"'
        (docs / "demo-output.txt").write_text(f"$ {command}\n{text}")
        if env.get("CM_EXPLORE_REPORT") and screenshot(Path(env["CM_EXPLORE_REPORT"]), docs / "report.png"):
            print(f"wrote {docs / 'demo-output.txt'} and {docs / 'report.png'}")
        else:
            print(f"wrote {docs / 'demo-output.txt'} (no report.png: chromium is not installed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
