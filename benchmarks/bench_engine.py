"""Script engine vs cmind 2.3.9 on one generated CM-dialect corpus both can run.

    python benchmarks/bench_engine.py [--n 5] [--out FILE]

The corpus is shell-only (`_cm.yaml` + `run.sh`), with dependencies:
* `bench-leaf-cached` (cache: true): the uncached run (after `rm cache`) and the cached run;
* `bench-chain-0` → `bench-chain-1` → ... → `bench-chain-19` (cache: false): a chain of depth 20.
Whole-process wall time, median (min–max) of n runs after one warm-up.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import peers  # noqa: E402

DEPTH = 20


def write_corpus(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    (root / "script").mkdir(parents=True)
    (root / "cmr.yaml").write_text(f"alias: bench-corpus\nuid: {uuid.uuid4().hex[:16]}\ngit: false\n")

    def script(name: str, tags: list[str], deps: list[str], cache: bool, body: str) -> None:
        d = root / "script" / name
        d.mkdir()
        lines = [f"alias: {name}", f"uid: {uuid.uuid4().hex[:16]}", "automation_alias: script",
                 "automation_uid: 5b4e0237da074764", f"tags: [{', '.join(tags)}]",
                 f"cache: {'true' if cache else 'false'}", "new_env_keys: [BENCH_*]"]
        if deps:
            lines.append("deps:")
            lines += [f"  - tags: {t}" for t in deps]
        (d / "_cm.yaml").write_text("\n".join(lines) + "\n")
        (d / "run.sh").write_text(f"#!/bin/bash\n{body}\n")
        (d / "run.sh").chmod(0o755)

    script("bench-leaf-cached", ["bench", "leaf-cached"], [], True,
           'echo "BENCH_LEAF=$(date +%s%N)" > tmp-run-env.out')
    for i in range(DEPTH):
        nxt = [f"bench,chain-{i + 1}"] if i + 1 < DEPTH else []
        script(f"bench-chain-{i}", ["bench", f"chain-{i}"], nxt, False, f'echo "BENCH_C{i}=1" > tmp-run-env.out')
    return root


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5)
    ap.add_argument("--out")
    args = ap.parse_args()
    work = peers.WORK / "engine"
    corpus = write_corpus(work / "corpus")
    ours = peers.our_home(work / "home-ours", [corpus])
    ocm = str(peers.OUR_BIN / "cm")
    cmind_bin = peers.cmind_venv()
    theirs = peers.cmind_home(work / "home-cmind", cmind_bin, [corpus]) if cmind_bin else None
    ccm = str(cmind_bin / "cm") if cmind_bin else ""

    def rm_ours():
        peers.run([ocm, "rm", "cache", "--tags=leaf-cached", "-f"], env=ours)

    def rm_theirs():
        peers.run([ccm, "rm", "cache", "--tags=leaf-cached", "-f"], env=theirs)

    cases = [
        ("uncached run (cache: true, entry removed first)", ["run", "script", "--tags=bench,leaf-cached", "--quiet"],
         rm_ours, rm_theirs),
        ("cached run", ["run", "script", "--tags=bench,leaf-cached", "--quiet"], None, None),
        (f"dependency chain of depth {DEPTH} (not cached)", ["run", "script", "--tags=bench,chain-0", "--quiet"],
         None, None),
    ]
    rows = []
    for label, argv, b_ours, b_theirs in cases:
        t_ours = peers.timeit([ocm, *argv], ours, n=args.n, before=b_ours)
        t_theirs = peers.timeit([ccm, *argv], theirs, n=args.n, before=b_theirs) if theirs else None
        rows.append((label, peers.fmt(t_ours), peers.fmt(t_theirs), peers.ratio(t_ours, t_theirs)))
        for who, t in (("ours", t_ours), ("cmind", t_theirs)):
            if t and t["rc"]:
                print(f"# {who} failed on {label}: {t['err']}", file=sys.stderr)
    text = (f"Machine: {peers.machine()}\n\n"
            + peers.table(rows, ("case", "cmcore s", "cmind 2.3.9 s", "ratio (lower is better)")))
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
