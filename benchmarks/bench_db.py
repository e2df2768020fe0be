"""Benchmark of the artifact database: whole-process wall time of `cm find` on a big repo.

Generates a CM repo of N script artifacts (each a `_cm.yaml`), then measures, as the
median of R runs after one warm-up, the wall time of whole `cm` processes:

* `cm find script --tags=<tag that matches 3 scripts>` with a warm index;
* `cm find script --tags=<tag nobody has>` (no match);
* `cm find script` (a full listing, printed);
* the first indexing: the same tag query on a fresh CM home (nothing indexed yet);
* `cm --version`;
* with a warm index, queries it has not answered before: replay off (the full path: plugin
  manager, engine, index), and replay on with a new tag each run (after the warm-up, the find
  template of `cmcore.replay` answers them from the index shards).

The `cm` measured is a regular (non-editable) install of `git archive HEAD` in a venv under
benchmarks/_work/peers/ (as bench_peers.py makes it), or the one in `--bin`: an editable
install pays for its import hooks at every interpreter start.

It also installs `cmind==2.3.9` from PyPI into a throwaway venv under benchmarks/_work/
and measures its `cm --version` for comparison (skipped with a note when that fails).

Usage: python benchmarks/bench_db.py [--n 10000] [--runs 5] [--out FILE] [--skip-cmind] [--bin DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work"
FEW_TAG = "few-match"  # given to exactly 3 artifacts


def make_repo(path: Path, n: int) -> None:
    """A CM repo with n scripts; marker file `.complete` makes regeneration skippable."""
    stamp = f"{n}:v2"  # bump when the generated content changes
    if (path / ".complete").is_file() and (path / ".complete").read_text() == stamp:
        return
    if path.exists():
        shutil.rmtree(path)
    (path / "script").mkdir(parents=True)
    (path / "cmr.yaml").write_text("alias: bench-db\nuid: 0b0b0b0b0b0b0b0b\ngit: false\n")
    few = {n // 4, n // 2, (3 * n) // 4}
    for k in range(n):
        d = path / "script" / f"bench-script-{k:05d}"
        d.mkdir()
        tags = ["bench", f"group-{k % 100}", f"item-{k}"] + ([FEW_TAG] if k in few else [])
        (d / "_cm.yaml").write_text(
            f"alias: bench-script-{k:05d}\nuid: '{k:016x}'\nautomation_alias: script\n"
            f"automation_uid: 5b4e0237da074764\ncache: false\ntags:\n" + "".join(f"- {t}\n" for t in tags)
            + "input_mapping:\n  x: CM_X\nnew_env_keys:\n- CM_BENCH_*\n"
            # a few variations and deps, so a meta is closer in size to a real script's
            + "deps:\n- tags: detect,os\n- tags: get,python3\n  names: [python]\n"
            + "variations:\n" + "".join(f"  v{j}:\n    group: g\n    env:\n      CM_BENCH_V: '{j}'\n"
                                          for j in range(3))
        )
    (path / ".complete").write_text(stamp)


def fresh_home(base: Path, repo: Path) -> Path:
    home = Path(tempfile.mkdtemp(prefix="home-", dir=base))
    (home / "repos.json").write_text(f'["{repo}"]')
    return home


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and CPU time (user + sys) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, p


def median_of(cmd: list[str], env: dict[str, str], runs: int, expect_rc: int | None = 0,
              setup=None) -> tuple[float, float, float, float, subprocess.CompletedProcess]:
    """(median wall, min wall, max wall, median cpu, last result) over ``runs`` after one warm-up."""
    return measure([cmd] * (runs + 1), env, expect_rc, setup)


def each_once(cmds: list[list[str]], env: dict[str, str]) -> tuple[float, float, float, float, subprocess.CompletedProcess]:
    """Like :func:`median_of`, for a different command each run (the first is the warm-up)."""
    return measure(cmds, env, 0, None)


def measure(cmds: list[list[str]], env: dict[str, str], expect_rc: int | None,
            setup) -> tuple[float, float, float, float, subprocess.CompletedProcess]:
    samples = []
    cpus = []
    last = None
    for k, cmd in enumerate(cmds):  # the first run is the warm-up
        if setup is not None:
            env = setup()
        dt, cpu, last = timed(cmd, env)
        if expect_rc is not None and last.returncode != expect_rc:
            raise SystemExit(f"{' '.join(cmd)} exited {last.returncode}: {last.stderr.strip()[-500:]}")
        if k:
            samples.append(dt)
            cpus.append(cpu)
    assert last is not None
    return statistics.median(samples), min(samples), max(samples), statistics.median(cpus), last


INPROC = """
import statistics, sys, time
from cmcore.session import Session
s = Session()
db = s.db
db.search("script", tags=sys.argv[1])
def t(fn):
    xs = []
    for _ in range(int(sys.argv[2])):
        a = time.perf_counter(); fn(); xs.append(time.perf_counter() - a)
    return statistics.median(xs)
print(t(lambda: db.search("script", tags=sys.argv[1])), t(lambda: db.search("script", tags="no-such-tag-xyz")),
      t(lambda: db.search("script")))
"""


def database_only(python: str, env: dict[str, str], runs: int) -> tuple[float, float, float]:
    """In-process times of the database search alone (no interpreter start, no plugin loading)."""
    p = subprocess.run([python, "-c", INPROC, FEW_TAG, str(runs)], env=env, capture_output=True,
                       text=True, check=True)
    a, b, c = (float(x) for x in p.stdout.split())
    return a, b, c


def cmind_version_time(runs: int) -> tuple[float | None, str]:
    venv = WORK / "cmind-venv"
    py = venv / "bin" / "python"
    cm = venv / "bin" / "cm"
    if not cm.exists():
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
            subprocess.run([str(py), "-m", "pip", "install", "-q", "cmind==2.3.9"], check=True,
                           capture_output=True, timeout=600)
        except (subprocess.SubprocessError, OSError) as exc:
            return None, f"cmind==2.3.9 could not be installed ({type(exc).__name__}); skipped"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CM_REPOS"] = str(WORK / "cmind-home")
    try:
        med, _lo, _hi, _cpu, _p = median_of([str(cm), "--version"], env, runs)
    except SystemExit as exc:
        return None, f"cmind `cm --version` failed: {exc}"
    return med, "cmind 2.3.9 from PyPI"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000, help="number of script artifacts (default 10000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median)")
    ap.add_argument("--out", help="also write the markdown table to this file")
    ap.add_argument("--skip-cmind", action="store_true", help="do not install cmind for the comparison")
    ap.add_argument("--bin", help="bin folder of the cm to measure (default: a regular install of HEAD)")
    args = ap.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_peers import ours_bin

    bindir = ours_bin(args.bin)
    cm = str(bindir / "cm")
    repo = WORK / f"repo-{args.n}"
    t = time.perf_counter()
    make_repo(repo, args.n)
    gen_s = time.perf_counter() - t
    homes = WORK / "homes"
    shutil.rmtree(homes, ignore_errors=True)
    homes.mkdir()
    # A user's normal environment: bytecode caches on (a sandbox may set PYTHONDONTWRITEBYTECODE,
    # which makes every process compile every module again), no CM_* settings.
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith("CM_") and k != "PYTHONDONTWRITEBYTECODE"}

    warm_home = fresh_home(homes, repo)
    env = dict(base_env, CM_HOME=str(warm_home))
    rows = []

    def fresh_env() -> dict[str, str]:
        return dict(base_env, CM_HOME=str(fresh_home(homes, repo)))

    first = median_of([cm, "find", "script", f"--tags={FEW_TAG}"], env, args.runs, setup=fresh_env)
    rows.append(("first indexing (fresh home): `cm find script --tags=" + FEW_TAG + "`", first, 3.0))
    warm = median_of([cm, "find", "script", f"--tags={FEW_TAG}"], env, args.runs)
    found = len(warm[4].stdout.split())
    rows.append((f"warm `cm find script --tags={FEW_TAG}` ({found} found)", warm, 0.1))
    nomatch = median_of([cm, "find", "script", "--tags=no-such-tag-xyz"], env, args.runs, expect_rc=None)
    rows.append(("warm no-match `cm find script --tags=no-such-tag-xyz`", nomatch, 0.1))
    # a query the warm index has not answered before (replay cannot answer it): CM_REPLAY=no
    off = dict(env, CM_REPLAY="no")
    rows.append((f"warm index, new query (replay off): `cm find script --tags={FEW_TAG}`",
                 median_of([cm, "find", "script", f"--tags={FEW_TAG}"], off, args.runs), 0.1))
    rows.append(("warm index, new no-match query (replay off)",
                 median_of([cm, "find", "script", "--tags=no-such-tag-xyz"], off, args.runs, expect_rc=None), 0.1))
    # what a user sees for a query never asked before, with the defaults: the first (warm-up) run
    # writes the find template, which answers the others
    news = [[cm, "find", "script", f"--tags=item-{(k * 7919 + 13) % args.n}"] for k in range(args.runs + 1)]
    rows.append(("warm index, a new `--tags=item-K` each run (replay on: the find template)", each_once(news, env), 0.1))
    listing = median_of([cm, "find", "script"], env, args.runs)
    listed = len(listing[4].stdout.split())
    rows.append((f"full listing `cm find script` ({listed} paths)", listing, None))
    version = median_of([cm, "--version"], env, args.runs)
    rows.append(("`cm --version`", version, None))

    db_tag, db_none, db_all = database_only(str(bindir / "python"), env, args.runs)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Artifact database benchmark: {args.n} scripts, median of {args.runs} runs after 1 warm-up, "
        f"whole-process wall time and CPU time (user+sys) ({os.cpu_count()} CPUs, load average at the end "
        f"{load}; repo generated in {gen_s:.1f} s; `cm` from {bindir}). On a shared machine the CPU column "
        "is the steadier one.",
        "",
        "| measurement | median wall s | min s | max s | median cpu s | target s |",
        "|---|---|---|---|---|---|",
    ]
    for label, (med, lo, hi, cpu, _p), target in rows:
        lines.append(f"| {label} | {med:.3f} | {lo:.3f} | {hi:.3f} | {cpu:.3f} | "
                     f"{'' if target is None else f'≤ {target}'} |")
    notes = [f"The database alone, in-process (`session.db.search`, median of {args.runs}, warm index): "
             f"tag query {db_tag:.3f} s, no-match {db_none:.3f} s, full listing of {args.n} {db_all:.3f} s."]
    if not args.skip_cmind:
        c_med, note = cmind_version_time(args.runs)
        if c_med is None:
            notes.append(f"cmind comparison: {note}")
        else:
            lines.append(f"| `cm --version` of {note} | {c_med:.3f} | | | | |")
            notes.append(f"`cm --version`: cmind takes {c_med / version[0]:.2f}x the wall time of cmcore.")
    for n in notes:
        lines += ["", n]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    shutil.rmtree(homes, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
