"""Run every benchmark and assemble benchmarks/RESULTS.md (``make bench``).

    python benchmarks/run_all.py [--quick]

1. ``bench_db.py``: the artifact database on 10,000 scripts (1,000 with --quick);
2. ``bench_engine.py``: the script engine against cmind 2.3.9;
3. ``bench_peers.py``: this project against cmind 2.3.9 and mlcflow, N = 300 and 10,000
   (N = 300 and 3 runs with --quick).

Each writes a markdown fragment into ``benchmarks/_work/results/``; RESULTS.md is assembled
from all fragments with the machine description. A benchmark that fails is reported and the
others still run; the exit code is non-zero if any failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_peers  # noqa: E402
import peers  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller corpora and fewer runs")
    args = ap.parse_args()
    out = bench_peers.RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    steps = [
        ("database", [py, str(HERE / "bench_db.py"), "--n", "1000" if args.quick else "10000",
                      "--runs", "3" if args.quick else "5", "--out", str(out / "db.md")]),
        ("engine", [py, str(HERE / "bench_engine.py"), "--n", "3" if args.quick else "5",
                    "--out", str(out / "engine.md")]),
        ("peers", [py, str(HERE / "bench_peers.py"), *(["--quick"] if args.quick else [])]),
    ]
    failed = []
    for name, cmd in steps:
        print(f"== {name}: {' '.join(cmd[1:])}", flush=True)
        if subprocess.run(cmd).returncode != 0:
            failed.append(name)
            print(f"== {name} FAILED", file=sys.stderr)
    for name, frag in (("database", out / "db.md"), ("engine", out / "engine.md")):
        text = frag.read_text() if frag.is_file() else ""
        if text and not text.lstrip().startswith("#"):
            frag.write_text(f"### {name.capitalize()} benchmark\n\n{text}")
    bench_peers.RESULTS_MD.write_text(bench_peers.assemble_results(peers.machine()))
    print(f"wrote {bench_peers.RESULTS_MD}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
