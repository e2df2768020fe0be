"""Keep benchmarks/bench_peers.py working: our tool only, a 50-script corpus, one run each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_peers_quick_only_ours(tmp_path: Path) -> None:
    work = tmp_path / "work"
    p = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_peers.py"), "--quick", "--only-ours",
         "--n-scripts", "50", "--runs", "1", "--ours-bin", str(Path(sys.executable).parent),
         "--work", str(work), "--timeout", "120"],
        capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    table = (work / "results" / "peers-50.md").read_text()
    rows = {line.split(" | ")[0].lstrip("| "): line for line in table.splitlines() if line.startswith("| ")}
    for case in ("start-up `--help`", "no-match find", "list all scripts", "cached run",
                 "dependency chain of depth 20", "4 concurrent cold runs of one cached script"):
        assert case in rows, f"missing row {case!r} in:\n{table}"
        assert "rc=" not in rows[case] and "timeout" not in rows[case], rows[case]
    # the cached script ran exactly once per trial although four processes asked for it at once
    assert "runs: 1" in rows["4 concurrent cold runs of one cached script"]
    assert "failed" not in p.stderr, p.stderr
