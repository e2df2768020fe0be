"""The ray executor against a real Ray cluster started on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import json
import math
import operator
from pathlib import Path

import pytest

from cmcore.errors import CMError
from cmcore.platform.executors import get_executor

pytestmark = pytest.mark.slow  # starting Ray takes tens of seconds on 2 cores


def test_plugin_registers_ray_without_importing_it(cm_session) -> None:
    specs = cm_session.pm.registered_records("cm_executors")
    assert {"local", "ray"} <= set(specs)
    assert specs["ray"].summary


def test_map_runs_on_the_cluster_in_order(cm_session, ray_cluster) -> None:
    ex = get_executor(cm_session, "ray", address=ray_cluster)
    assert ex.map(operator.neg, [3, 1, 2]) == [-3, -1, -2]
    assert ex.map(operator.neg, []) == []
    with pytest.raises(CMError, match="ray task 2/2 failed"):
        ex.map(math.sqrt, [4.0, -1.0])


def test_experiment_steps_run_on_ray_and_are_recorded_by_the_driver(cm_session, ray_cluster) -> None:
    r = cm_session.access({"action": "run", "automation": "experiment", "artifact": "onray", "executor": "ray",
                           "address": ray_cluster, "explore": {"N": "[i for i in range(1, 5)]"},
                           "unparsed_cmd": ["bash", "-c", 'echo "{\\"sq\\": $(( {{N}} * {{N}} ))}" > cm-result.json']})
    assert r["return"] == 0, r
    run = Path(r["experiment_path2"])
    records = json.loads((run / "cm-result.json").read_text())
    assert [e["sq"] for e in records] == [1, 4, 9, 16]
    assert {e["host"] for e in records}  # where each step ran is recorded
    assert len(cm_session.db.search("result", None, ["experiment"])) == 4


def test_unreachable_cluster_is_one_clear_error(cm_session) -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()
    ex = get_executor(cm_session, "ray", address="127.0.0.1:1")
    with pytest.raises(CMError, match="cannot connect to Ray at 127.0.0.1:1"):
        ex.map(operator.neg, [1])
