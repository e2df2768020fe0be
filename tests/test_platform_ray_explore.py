"""The best-stack search on a real local Ray cluster (127.0.0.1) with the real MLPerf harness.

Workers either share the driver's CM home (passed explicitly in each task: the cluster's
processes inherit another ``CM_HOME``, see ``cm_executor_ray.testing``) or have one of their
own (``worker_home``), in which case the driver copies their results into its store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytest.importorskip("cm_executor_ray")

from cm_executor_ray.testing import RAY_START_HOME, ray_cluster  # noqa: E402, F401  (fixture)

from cmcore.experiment.record import find_results  # noqa: E402

pytestmark = pytest.mark.slow  # a Ray cluster and real LoadGen runs: about a minute or more on 2 cores

GRID = ["--model=digits", "--precision=fp32", "--threads=1,2", "--batch=1,8", "--test_query_count=200",
        "--min_duration_ms=100"]


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ray-driver-home")


def _cmr(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CM_HOME": str(home)}
    cmr = Path(sys.executable).with_name("cmr")
    return subprocess.run([str(cmr), "explore mlperf inference", *args], env=env, capture_output=True,
                          text=True, timeout=900)


def _session(home: Path):
    from cmcore.session import Session

    return Session(home)


def _points(session, search: str) -> list[dict]:
    return [r for _, r in find_results(session, ["explore-point", f"explore-{search}"])]


def test_search_on_ray_shares_the_driver_home_and_caches(shared_home, ray_cluster, tmp_path) -> None:  # noqa: F811
    first = _cmr(shared_home, *GRID, "--executor=ray", f"--address={ray_cluster}",
                 f"--report_dir={tmp_path / 'r1'}")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Searched 4 of 4 points (exhaustive)" in first.stdout
    assert "Recommended: onnxruntime@cpu:0 fp32" in first.stdout
    assert 'Reproduce:   cmr "app mlperf inference _onnxruntime _cpu" --model=digits' in first.stdout
    assert (tmp_path / "r1" / "report.html").is_file()
    s = _session(shared_home)
    (_, search), = find_results(s, ["explore-search", "digits"])
    assert search["points"] == search["grid_size"] == 4 and search["recommended"]
    rows = _points(s, search["search"])
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows), rows
    # the workers used the driver's home, explicitly: not the CM_HOME the cluster inherited
    assert {r["worker_home"] for r in rows} == {str(shared_home.resolve())}
    assert not list(Path(tempfile.gettempdir()).glob(f"cmray*/{RAY_START_HOME}/*"))
    assert all(Path(r["perf_result"]).is_relative_to(shared_home.resolve()) for r in rows)
    assert {r["samples_per_second"] > 0 for r in rows} == {True} and min(r["accuracy"] for r in rows) >= 0.97
    runs = len(s.db.search("result", None, ["mlperf"]))
    assert runs >= 5  # 4 performance runs, 1 accuracy run (2 if two workers raced to it)

    again = _cmr(shared_home, *GRID, "--executor=ray", f"--address={ray_cluster}",
                 f"--report_dir={tmp_path / 'r2'}")
    assert again.returncode == 0, again.stderr[-3000:]
    s = _session(shared_home)
    assert len(s.db.search("result", None, ["mlperf"])) == runs  # nothing re-ran
    newest = find_results(s, ["explore-search", "digits"])[0][1]
    rows2 = _points(s, newest["search"])
    assert {r["cached"] for r in rows2} == {"performance,accuracy"}
    assert sorted(r["samples_per_second"] for r in rows2) == sorted(r["samples_per_second"] for r in rows)
    assert newest["recommended"] == search["recommended"]


def test_workers_with_their_own_home_send_results_back(shared_home, ray_cluster, tmp_path) -> None:  # noqa: F811
    """Workers on the home the first test filled (4 of these 6 points cached there, 2 measured now),
    a driver with an empty home: the driver copies every harness result into its own store."""
    from cmcore.platform.explore import explore

    if not find_results(_session(shared_home), ["explore-search", "digits"]):
        pytest.skip("needs the first test's home")
    home = tmp_path / "driver-home"
    first = _cmr(home, *GRID[:3], "--batch=1,8,16", *GRID[4:], "--executor=ray", f"--address={ray_cluster}",
                 f"--worker_home={shared_home}", f"--report_dir={tmp_path / 'r'}")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "Searched 6 of 6 points (exhaustive)" in first.stdout and (tmp_path / "r" / "report.html").is_file()
    driver = _session(home)
    (_, search), = find_results(driver, ["explore-search", "digits"])
    rows = sorted(_points(driver, search["search"]), key=lambda r: (r["threads"], r["batch"]))
    assert len(rows) == 6 and all(r["status"] == "ok" for r in rows), rows
    assert {r["worker_home"] for r in rows} == {str(shared_home.resolve())}
    assert sorted(r["cached"] for r in rows).count("performance,accuracy") == 4  # batch 1 and 8 were there
    copied = driver.db.search("result", None, ["explore-copied"])
    assert len(copied) == 6 + 1  # 6 performance results and the one accuracy result they share
    assert len(driver.db.search("result", None, ["mlperf"])) == len(copied)  # no harness ran in the driver home
    for r in rows:  # every row points into the driver's store, at a copy carrying the same run key
        for kind, key in (("perf_result", "perf_run"), ("accuracy_result", "accuracy_run")):
            assert Path(r[kind]).is_relative_to(driver.home), (kind, r[kind])
            assert find_results(driver, [f"explore-run-{r[key]}"])[0][0] == Path(r[kind])
    assert search["recommended"]

    flags = {"model": "digits", "precision": "fp32", "threads": "1,2", "batch": "1,8,16", "test_query_count": "200",
             "min_duration_ms": "100", "executor": "ray", "address": ray_cluster, "worker_home": str(shared_home)}
    # the driver's store now answers by itself: nothing is shipped, copied or run again
    again = explore(driver, {**flags, "report_dir": str(tmp_path / "r2")})
    assert len(driver.db.search("result", None, ["explore-copied"])) == len(copied)
    assert {r["cached"] for r in again["rows"]} == {"performance,accuracy"}
    assert not any("worker_home" in r for r in again["rows"])  # read here, not on a worker
    local = explore(driver, {**flags, "executor": "local", "report_dir": str(tmp_path / "r3")})
    assert {r["cached"] for r in local["rows"]} == {"performance,accuracy"}
    assert sorted(r["samples_per_second"] for r in local["rows"]) == sorted(r["samples_per_second"] for r in rows)
