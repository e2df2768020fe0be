"""Shared helpers for the benchmarks: peer installs (cmind, mlcflow), timing, tables.

The peers are installed from PyPI into throwaway venvs under ``benchmarks/_work/``:

* cmind 2.3.9 keeps its ``script`` automation in the cm4mlops repository, which is not on
  PyPI as a plain package, but the ``cmx4mlops`` wheel carries the same content; it is
  installed with ``--no-deps`` (its metadata pins a newer cmind) and registered in
  ``repos.json``, which is how cmind finds repos.
* mlcflow bundles its script engine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "_work"
OUR_BIN = Path(sys.executable).parent


def run(cmd: list[str], env: dict | None = None, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def timeit(cmd: list[str], env: dict, n: int = 5, warmup: int = 1, before=None, cwd: Path | None = None) -> dict:
    """Whole-process wall time: median, min, max of ``n`` runs after ``warmup`` uncounted ones.

    ``before()`` runs before every run (uncounted), e.g. to clear a cache.
    """
    times = []
    last = None
    for i in range(warmup + n):
        if before:
            before()
        t = time.perf_counter()
        last = run(cmd, env=env, cwd=cwd)
        dt = time.perf_counter() - t
        if i >= warmup:
            times.append(dt)
    assert last is not None
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "rc": last.returncode,
        "err": (last.stderr or "").strip().splitlines()[-1:] if last.returncode else [],
    }


def venv(path: Path, *pip_args: str) -> Path | None:
    """Create (once) a venv with ``pip_args`` installed; return its bin dir, or None on failure."""
    bindir = path / "bin"
    marker = path / ".ok"
    if marker.exists():
        return bindir
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    p = run([str(bindir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pip_args],
            timeout=900)
    if p.returncode != 0:
        print(f"# could not install {' '.join(pip_args)}: {p.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    marker.write_text("ok")
    return bindir


def cmind_venv() -> Path | None:
    """cmind 2.3.9 plus the cm4mlops content (from the cmx4mlops wheel)."""
    path = WORK / "cmind-2.3.9"
    bindir = venv(path, "cmind==2.3.9")
    if bindir is None:
        return None
    if not (path / ".cmx").exists():
        p = run([str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps", "cmx4mlops==1.0.1"], timeout=900)
        if p.returncode != 0:
            print("# could not install cmx4mlops (cmind's script automation)", file=sys.stderr)
            return None
        (path / ".cmx").write_text("ok")
    return bindir


def cmx4mlops_repo(bindir: Path) -> str:
    p = run([str(bindir / "python"), "-c", "import cmx4mlops, os; print(os.path.dirname(cmx4mlops.__file__))"])
    return p.stdout.strip()


def mlcflow_venv() -> Path | None:
    return venv(WORK / "mlcflow", "mlcflow")


def cmind_home(home: Path, bindir: Path, extra_repos: list[Path]) -> dict:
    """A fresh cmind home (CM_REPOS) with cm4mlops and ``extra_repos`` registered."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CM_REPOS": str(home)}
    env.pop("CM_HOME", None)
    run([str(bindir / "cm"), "--version"], env=env)  # creates the home layout
    repos_json = home / "repos.json"
    repos = json.loads(repos_json.read_text()) if repos_json.exists() else []
    for r in [cmx4mlops_repo(bindir), *map(str, extra_repos)]:
        if r not in repos:
            repos.append(r)
    repos_json.write_text(json.dumps(repos))
    return env


def our_home(home: Path, extra_repos: list[Path]) -> dict:
    home.mkdir(parents=True, exist_ok=True)
    (home / "repos.json").write_text(json.dumps([str(p) for p in extra_repos]))
    env = {**os.environ, "CM_HOME": str(home)}
    return env


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def table(rows: list[tuple], headers: tuple) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def fmt(t: dict | None) -> str:
    if not t:
        return "n/a"
    s = f"{t['median']:.3f} ({t['min']:.3f}–{t['max']:.3f})"
    return s if t["rc"] == 0 else s + f" rc={t['rc']}"


def ratio(ours: dict | None, theirs: dict | None) -> str:
    if not ours or not theirs or theirs["rc"] != 0 or ours["rc"] != 0:
        return "n/a"
    return f"{ours['median'] / theirs['median']:.2f}×"
