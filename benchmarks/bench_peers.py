"""This project against its peers (cmind 2.3.9 + cm4mlops, mlcflow) on one generated corpus.

    python benchmarks/bench_peers.py            # full: N = 300 and 10,000 scripts, 5 runs each
    python benchmarks/bench_peers.py --quick    # CI: N = 300, 3 runs
    python benchmarks/bench_peers.py --quick --only-ours --n-scripts 50 --ours-bin .venv/bin

The corpus is written twice, once per dialect (CM: ``cmr.yaml`` + ``script/*/_cm.yaml``; MLC:
``meta.yaml`` + ``script/*/meta.yaml``), with the same N shell-only scripts and dependencies, so
every tool can run it. Cases: start-up (``--help``), find, no-match find, list all, uncached run,
cached run, a dependency chain of depth 20, four concurrent cold runs of one cached script (the
script appends to a counter file, so the number of executions is counted), and a cold install
of ``six`` through each tool's generic Python-lib script.

Each tool runs from its own throwaway venv and home under ``benchmarks/_work/peers``. Ours is a
NON-editable install of the committed tree (``git archive HEAD``), which is what pip users get;
``--ours-bin`` points at another install instead (the smoke test uses the dev venv). Timing is
whole-process wall time, median (min-max) of n runs after one uncounted warm-up; a command over
``--timeout`` seconds stops that tool's measurements at that N (shown as "timeout").

The markdown tables go to ``benchmarks/_work/results/peers-<N>.md`` and are assembled, with the
other benchmarks' fragments (see ``run_all.py``), into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import peers  # noqa: E402

PEER_WORK = peers.WORK / "peers"
RESULTS_DIR = peers.WORK / "results"
RESULTS_MD = peers.ROOT / "benchmarks" / "RESULTS.md"
DEPTH = 20
CONCURRENT = 4
SCRIPT_UID = "5b4e0237da074764"


# -- corpus ----------------------------------------------------------------------------------


def _uid(name: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "cm-bench/" + name).hex[:16]


def corpus_scripts(n: int, counter_dir: Path) -> dict[str, dict]:
    """The scripts, as {alias: {tags, deps, cache, body}}, the same for both dialects."""
    out: dict[str, dict] = {}
    for k in range(n):
        head = k - k % 10  # every script depends on the head of its group of ten
        out[f"peer-s-{k:05d}"] = {
            "tags": ["peerbench", f"grp-{k % 50}", f"item-{k}"],
            "deps": [f"peerbench,item-{head}"] if k != head else [],
            "cache": False, "body": f'echo "BENCH_S{k}=1" > tmp-run-env.out',
        }
    out["peer-leaf-cached"] = {"tags": ["peerbench", "leaf-cached"], "deps": [], "cache": True,
                               "body": 'echo "BENCH_LEAF=1" > tmp-run-env.out'}
    for i in range(DEPTH):
        out[f"peer-chain-{i}"] = {"tags": ["peerbench", f"chain-{i}"], "cache": False,
                                  "deps": [f"peerbench,chain-{i + 1}"] if i + 1 < DEPTH else [],
                                  "body": f'echo "BENCH_C{i}=1" > tmp-run-env.out'}
    out["peer-conc"] = {"tags": ["peerbench", "conc-cached"], "deps": [], "cache": True,
                        "body": f'echo "$$" >> "{counter_dir}/conc-counter.txt"\nsleep 1\n'
                                'echo "BENCH_CONC=1" > tmp-run-env.out'}
    return out


def write_corpus(root: Path, scripts: dict[str, dict], dialect: str) -> Path:
    """Write the corpus in ``dialect`` ("cm" or "mlc") under ``root`` (regenerated each time)."""
    if root.exists():
        shutil.rmtree(root)
    (root / "script").mkdir(parents=True)
    marker, meta_name = ("cmr.yaml", "_cm.yaml") if dialect == "cm" else ("meta.yaml", "meta.yaml")
    (root / marker).write_text(f"alias: peerbench-{dialect}\nuid: '{_uid('repo-' + dialect)}'\ngit: false\n")
    for name, s in scripts.items():
        d = root / "script" / name
        d.mkdir()
        lines = [f"alias: {name}", f"uid: '{_uid(name)}'", "automation_alias: script",
                 f"automation_uid: {SCRIPT_UID}", f"tags: [{', '.join(s['tags'])}]",
                 f"cache: {'true' if s['cache'] else 'false'}", "new_env_keys: [BENCH_*]"]
        if s["deps"]:
            lines.append("deps:")
            lines += [f"  - tags: {t}" for t in s["deps"]]
        (d / meta_name).write_text("\n".join(lines) + "\n")
        (d / "run.sh").write_text(f"#!/bin/bash\n{s['body']}\n")
        (d / "run.sh").chmod(0o755)
    return root


# -- tools -----------------------------------------------------------------------------------


@dataclass
class Tool:
    """How one tool spells each case; ``env`` holds its private home."""

    name: str
    bindir: Path
    env: dict
    exe: str  # "cm" or "mlc"
    reset_pylib: list[list[str]] = field(default_factory=list)
    pylib_cmd: list[str] | None = None
    list_flags: list[str] = field(default_factory=list)

    def cmd(self, *args: str) -> list[str]:
        return [str(self.bindir / self.exe), *args]

    def run_cmd(self, tags: str) -> list[str]:
        return self.cmd("run", "script", f"--tags={tags}", "--quiet")

    def rm_cache(self, tags: str) -> None:
        peers.run(self.cmd("rm", "cache", f"--tags={tags}", "-f"), env=self.env)


def ours_bin(explicit: str | None) -> Path:
    """Our tool: ``explicit`` bin dir, or a non-editable install of ``git archive HEAD``."""
    if explicit:
        return Path(explicit).resolve()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=peers.ROOT, capture_output=True, text=True).stdout.strip()
    venv = PEER_WORK / "ours-venv"
    marker = venv / ".head"
    if marker.is_file() and marker.read_text() == head:
        return venv / "bin"
    src = PEER_WORK / "ours-src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(venv, ignore_errors=True)
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=peers.ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    p = peers.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                   str(src), str(src / "cm_scripts_mlops")], timeout=1200)
    if p.returncode != 0:
        raise SystemExit(f"could not install this project non-editable: {p.stderr.strip()[-800:]}")
    marker.write_text(head)
    return venv / "bin"


def clean_env(**extra: str) -> dict:
    """The process env of an activated venv, without any CM_/MLC_ settings of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CM_", "MLC_", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def make_ours(bindir: Path, home: Path, corpus: Path, pylib: bool) -> Tool:
    shutil.rmtree(home, ignore_errors=True)
    env = clean_env(**peers.our_home(home, [corpus]))
    env = {**env, "PATH": f"{bindir}:{os.environ.get('PATH', '')}"}
    tool = Tool("this project", bindir, env, "cm",
                pylib_cmd=[str(bindir / "cm"), "run", "script", "get generic-python-lib _package.six", "--quiet"]
                if pylib else None)
    # A venv's python (ours is on PATH first) is the install target; else <home>/venv/default.
    tool.reset_pylib = [tool.cmd("rm", "cache", "--tags=get,generic-python-lib", "-f")]
    for py in (bindir / "python", home / "venv" / "default" / "bin" / "python"):
        tool.reset_pylib.append([str(py), "-m", "pip", "uninstall", "-y", "-q", "six"])
    return tool


def make_cmind(home: Path, corpus: Path) -> Tool | None:
    bindir = peers.cmind_venv()
    if bindir is None:
        return None
    shutil.rmtree(home, ignore_errors=True)
    env = clean_env(**peers.cmind_home(home, bindir, [corpus]))
    env = {**env, "PATH": f"{bindir}:{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(bindir.parent)}
    env.pop("CM_HOME", None)
    tool = Tool("cmind 2.3.9", bindir, env, "cm",
                pylib_cmd=[str(bindir / "cm"), "run", "script", "get generic-python-lib _package.six", "--quiet"])
    tool.reset_pylib = [tool.cmd("rm", "cache", "--tags=get,generic-python-lib", "-f"),
                        [str(bindir / "python"), "-m", "pip", "uninstall", "-y", "-q", "six"]]
    return tool


def make_mlcflow(home: Path, corpus: Path) -> Tool | None:
    bindir = peers.mlcflow_venv()
    if bindir is None:
        return None
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "repos.json").write_text(f'["{home / "local"}", "{corpus}"]')
    env = clean_env(MLC_REPOS=str(home))
    env = {**env, "PATH": f"{bindir}:{os.environ.get('PATH', '')}", "VIRTUAL_ENV": str(bindir.parent)}
    # mlcflow's generic-python-lib lives in mlperf-automations, which is only on GitHub: no pylib case.
    return Tool("mlcflow", bindir, env, "mlc", list_flags=["--fetch_all"])


def tool_version(tool: Tool) -> str:
    p = peers.run([str(tool.bindir / "python"), "-m", "pip", "list", "--disable-pip-version-check"], env=tool.env)
    for line in p.stdout.splitlines():
        name = line.split()[0].lower() if line.split() else ""
        if name in ("cmcore", "cmind", "mlcflow"):
            return f"{name} {line.split()[1]}"
    return tool.name


# -- measuring -------------------------------------------------------------------------------


class TooSlow(Exception):
    """A command ran past the per-command limit; the tool's remaining cases are skipped."""


def measure(cmd: list[str] | None, tool: Tool, runs: int, timeout: float, before=None, parallel: int = 1,
            counter: Path | None = None, extra_env: dict | None = None) -> dict:
    """Median/min/max wall time of ``cmd`` (``parallel`` copies at once) after one warm-up."""
    if cmd is None:
        return {"na": True}
    env = {**tool.env, **(extra_env or {})}
    times: list[float] = []
    counts: list[int] = []
    rc = 0
    err = ""
    for i in range(runs + 1):
        if before:
            before()
        if counter is not None:
            counter.write_text("")
        t = time.perf_counter()
        procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(parallel)]
        try:
            for p in procs:
                _out, e = p.communicate(timeout=max(1.0, timeout - (time.perf_counter() - t)))
                if p.returncode:
                    rc, err = p.returncode, (e or "").strip().splitlines()[-1:]
        except subprocess.TimeoutExpired as exc:
            for p in procs:
                p.kill()
                p.wait()
            raise TooSlow(f"{' '.join(cmd)} > {timeout:.0f} s") from exc
        dt = time.perf_counter() - t
        if i:
            times.append(dt)
            if counter is not None:
                counts.append(len(counter.read_text().split()))
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "rc": rc, "err": err,
            "counts": counts}


def run_quiet(cmds: list[list[str]], env: dict) -> None:
    """Run set-up commands, ignoring failures (e.g. no venv yet before the first install)."""
    for c in cmds:
        if Path(c[0]).exists():
            peers.run(c, env=env)


def bench_tool(tool: Tool, n: int, runs: int, timeout: float, counter: Path) -> dict[str, dict]:
    """Every case for one tool; a case past ``timeout`` ends the tool's run at this N."""
    mid = f"peerbench,item-{(n // 2) - (n // 2) % 10 + 1}"
    off = {"CM_REPLAY": "no"}  # this project only: the full lookup, as a first-time command pays it
    cases: list[tuple[str, list[str] | None, object, int, dict | None]] = [
        ("start-up `--help`", tool.cmd("--help"), None, 1, None),
        (f"find `--tags={mid}`", tool.cmd("find", "script", f"--tags={mid}"), None, 1, None),
        (f"find `--tags={mid}`, replay off", tool.cmd("find", "script", f"--tags={mid}"), None, 1, off),
        ("no-match find", tool.cmd("find", "script", "--tags=peerbench,no-such-tag"), None, 1, None),
        ("list all scripts", tool.cmd("find", "script", *tool.list_flags), None, 1, None),
        ("uncached run (entry removed first)", tool.run_cmd("peerbench,leaf-cached"),
         lambda: tool.rm_cache("leaf-cached"), 1, None),
        ("cached run", tool.run_cmd("peerbench,leaf-cached"), None, 1, None),
        ("cached run, replay off", tool.run_cmd("peerbench,leaf-cached"), None, 1, off),
        (f"dependency chain of depth {DEPTH}", tool.run_cmd("peerbench,chain-0"), None, 1, None),
        (f"{CONCURRENT} concurrent cold runs of one cached script", tool.run_cmd("peerbench,conc-cached"),
         lambda: tool.rm_cache("conc-cached"), CONCURRENT, None),
        ("cold install of `six` (generic-python-lib)", tool.pylib_cmd,
         (lambda: run_quiet(tool.reset_pylib, tool.env)), 1, None),
    ]
    out: dict[str, dict] = {}
    for label, cmd, before, parallel, extra in cases:
        try:
            out[label] = measure(cmd, tool, runs, timeout, before=before, parallel=parallel,
                                 counter=counter if parallel > 1 else None, extra_env=extra)
        except TooSlow as exc:
            out[label] = {"timeout": str(exc)}
            print(f"# {tool.name}: {exc}; skipping its other cases at N={n}", file=sys.stderr)
            break
        r = out[label]
        if r.get("rc"):
            print(f"# {tool.name} failed on {label}: rc={r['rc']} {r['err']}", file=sys.stderr)
    return out


def cell(r: dict | None) -> str:
    if r is None:
        return "skipped"
    if r.get("na"):
        return "n/a"
    if "timeout" in r:
        return "timeout"
    s = peers.fmt(r)
    if r.get("counts"):
        s += f"; runs: {','.join(map(str, r['counts']))}"
    return s


def ratio(ours: dict | None, theirs: dict | None) -> str:
    if not ours or not theirs or "median" not in ours or "median" not in theirs:
        return "n/a"
    return peers.ratio(ours, theirs)


def report(n: int, runs: int, results: dict[str, dict[str, dict]], versions: dict[str, str]) -> str:
    names = list(results)
    ours = results[names[0]]
    labels = list(dict.fromkeys(label for r in results.values() for label in r))
    headers = ["case", *[f"{versions[t]} s" for t in names],
               *[f"ours / {versions[t].split()[0]}" for t in names[1:]]]
    rows = []
    for label in labels:
        rows.append((label, *[cell(results[t].get(label)) for t in names],
                     *[ratio(ours.get(label), results[t].get(label)) for t in names[1:]]))
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"### N = {n} scripts ({runs} runs, median (min–max) seconds; {when})\n\n"
            + peers.table(rows, tuple(headers)) + "\n")


def assemble_results(machine: str) -> str:
    """RESULTS.md from every fragment in ``benchmarks/_work/results`` (peers first)."""
    frags = sorted(RESULTS_DIR.glob("*.md"), key=lambda p: (not p.name.startswith("peers-"),
                                                            int(p.stem.split("-")[1]) if p.stem.startswith("peers-")
                                                            else 0, p.name))
    parts = ["# Benchmark results", "", f"Machine: {machine}", "",
             "Generated by `make bench` (`benchmarks/run_all.py`) and `benchmarks/bench_peers.py`; "
             "whole-process wall time, lower is better; a ratio below 1 means this project is faster.", "",
             "How to read the peer table: \"runs: 1,1,1\" is how many times the cached script really executed "
             "in each trial of the concurrent case (1 is right); \"n/a\" means the tool cannot run the case "
             "offline (mlcflow's generic-python-lib script is in the mlperf-automations repository, "
             "which is only on GitHub); \"timeout\" means one command ran past the limit.", "",
             "\"replay off\" rows run this project with `CM_REPLAY=no`: a repeated find or cache hit is "
             "otherwise answered from its record once every file it read is checked unchanged "
             "(`cmcore/replay.py`), so those rows show what a command pays the first time. The peers "
             "ignore the setting: their two rows measure the same thing.", "",
             "The machine may be shared with other jobs while the benchmark runs: compare ratios "
             "within one table, and read min–max as the noise.", ""]
    for f in frags:
        parts += [f.read_text().rstrip(), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 300, 3 runs (CI)")
    ap.add_argument("--n-scripts", type=int, action="append", help="corpus size (repeatable)")
    ap.add_argument("--runs", type=int, help="timed runs per case (default 5; 3 with --quick)")
    ap.add_argument("--only-ours", action="store_true", help="do not install or run the peers")
    ap.add_argument("--ours-bin", help="bin folder of an existing install of this project")
    ap.add_argument("--timeout", type=float, default=300, help="limit per command, seconds")
    ap.add_argument("--work", help="work folder (default benchmarks/_work/peers)")
    ap.add_argument("--out", help=f"write the assembled markdown here (default {RESULTS_MD})")
    args = ap.parse_args(argv)
    sizes = args.n_scripts or ([300] if args.quick else [300, 10000])
    runs = args.runs or (3 if args.quick else 5)
    work = Path(args.work).resolve() if args.work else PEER_WORK
    results_dir = work / "results" if args.work else RESULTS_DIR
    results_dir.mkdir(parents=True, exist_ok=True)
    our_bin = ours_bin(args.ours_bin)
    for n in sizes:
        counter_dir = work / f"counter-{n}"
        counter_dir.mkdir(parents=True, exist_ok=True)
        scripts = corpus_scripts(n, counter_dir)
        cm_corpus = write_corpus(work / f"corpus-cm-{n}", scripts, "cm")
        # The pylib case uninstalls six from our venv: never from a venv we did not make.
        tools = [make_ours(our_bin, work / f"home-ours-{n}", cm_corpus, pylib=not args.ours_bin)]
        if not args.only_ours:
            mlc_corpus = write_corpus(work / f"corpus-mlc-{n}", scripts, "mlc")
            for t in (make_cmind(work / f"home-cmind-{n}", cm_corpus),
                      make_mlcflow(work / f"home-mlc-{n}", mlc_corpus)):
                if t is not None:
                    tools.append(t)
        versions = {t.name: tool_version(t) for t in tools}
        results = {}
        for t in tools:
            print(f"# N={n}: {versions[t.name]}", file=sys.stderr)
            results[t.name] = bench_tool(t, n, runs, args.timeout, counter_dir / "conc-counter.txt")
        text = report(n, runs, results, versions)
        print(text)
        (results_dir / f"peers-{n}.md").write_text(text)
    out = Path(args.out) if args.out else (results_dir / "RESULTS.md" if args.work else RESULTS_MD)
    if args.work:
        frags = sorted(results_dir.glob("peers-*.md"))
        out.write_text("\n".join(f.read_text() for f in frags))
    else:
        out.write_text(assemble_results(peers.machine()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
