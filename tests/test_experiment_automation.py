"""cm run / rerun / replay / find experiment, through the real CLI and the Python API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

WRITE_SQ = 'echo "{\\"sq\\": $(( {{N}} * {{N}} )), \\"n\\": {{N}}, \\"nested\\": {\\"p\\": \\"{{P}}\\"}}" > cm-result.json'


def _runs(home: Path, name: str) -> list[Path]:
    base = home / "repos" / "local" / "experiment" / name
    return sorted(p for p in base.iterdir() if p.is_dir())


def test_run_explores_cartesian_product_and_records_everything(cm_cli, cm_home, tmp_path) -> None:
    explore = tmp_path / "explore.yaml"
    explore.write_text('explore:\n  N: "[2**i for i in range(0, 3)]"\n  P: [a, b]\n')
    r = cm_cli("run", "experiment", "sq", "--tags=sweep,math", f"@{explore}", "--", "bash", "-c", WRITE_SQ)
    assert r.exit_code == 0, r.stderr
    assert "6 step(s), 0 failed" in r.stdout
    # one line per step on a non-TTY stderr, not a redrawn bar
    assert r.stderr.count("experiment ") >= 6 and "\r" not in r.stderr
    (run,) = _runs(cm_home, "sq")
    records = json.loads((run / "cm-result.json").read_text())
    assert [(e["explore.N"], e["explore.P"]) for e in records] == [
        (1, "a"), (1, "b"), (2, "a"), (2, "b"), (4, "a"), (4, "b")]
    assert [e["sq"] for e in records] == [1, 1, 4, 4, 16, 16]
    assert [e["nested.p"] for e in records] == ["a", "b"] * 3
    # no key leaks between steps (CM's shared mutable default in flatten)
    assert all(set(e) == set(records[0]) for e in records)
    saved = json.loads((run / "cm-input.json").read_text())
    assert saved["tags"] == "sweep,math" and "cmd" not in saved and "action" not in saved
    for e in records:
        step = run / e["uid"]
        task = json.loads((step / "cm-input.json").read_text())
        assert task["env"]["CM_EXPERIMENT_PATH3"] == str(step)
        assert (step / "cm-result.json").is_file() and (step / "cm-step.log").is_file()
        assert e["returncode"] == 0
    found = cm_cli("find", "experiment", "--tags=sweep")
    assert found.exit_code == 0 and found.stdout.strip().endswith("sq")


def test_steps_are_searchable_results(cm_session) -> None:
    r = cm_session.access({"action": "run", "automation": "experiment", "artifact": "e1", "tags": "x1",
                           "explore": {"N": [3, 5]}, "unparsed_cmd": ["bash", "-c", WRITE_SQ.replace("{{P}}", "q")]})
    assert r["return"] == 0, r
    found = cm_session.db.search("result", None, ["experiment", "x1"])
    assert len(found) == 2
    values = sorted(json.loads((Path(a.path) / "result.json").read_text())["sq"] for a in found)
    assert values == [9, 25]
    one = json.loads((Path(found[0].path) / "result.json").read_text())
    assert one["kind"] == "experiment-step" and one["experiment"] == "e1"


def test_inline_dimension_and_variables(cm_session, tmp_path) -> None:
    r = cm_session.access({"action": "run", "automation": "experiment", "artifact": "inl",
                           "unparsed_cmd": ["echo", "{{K{[10, 20]}}}", "{{CM_EXPERIMENT_STEP}}", ">", "out.txt"]})
    assert r["return"] == 0, r
    outs = [(Path(s["result_path"]), s) for s in r["steps"]]
    assert [s["explore.K"] for _, s in outs] == [10, 20]
    run = Path(r["experiment_path2"])
    for s in r["steps"]:
        text = (run / s["uid"] / "out.txt").read_text().split()
        assert text == [str(s["explore.K"]), s["uid"]]


def test_failed_steps_are_recorded_and_reported(cm_cli, cm_home) -> None:
    r = cm_cli("run", "experiment", "fails", "--explore.C,=0,3", "--", "bash", "-c", "exit {{C}}")
    assert r.exit_code == 2
    assert "1 of 2 experiment steps failed" in r.stderr and "exit 3" in r.stderr
    (run,) = _runs(cm_home, "fails")
    codes = [e["returncode"] for e in json.loads((run / "cm-result.json").read_text())]
    assert codes == [0, 3]  # the real exit code, not a wait status


@pytest.mark.parametrize(("args", "fragment", "code"), [
    (["--explore.N=__import__('os').getcwd()"], "may be called", 4),
    (["--explore.N=range(0)"], "no values", 4),
    (["--", "echo", "{{NOPE}}"], "unknown variable {{NOPE}}", 4),
])
def test_bad_input_is_one_line_and_creates_no_run(cm_cli, cm_home, args, fragment, code) -> None:
    if "--" not in args:
        args = [*args, "--", "echo", "{{N}}"]
    r = cm_cli("run", "experiment", "bad", *args)
    assert r.exit_code == code, r.stderr
    assert fragment in r.stderr
    assert len([ln for ln in r.stderr.splitlines() if ln.strip()]) == 1
    base = cm_home / "repos" / "local" / "experiment" / "bad"
    assert not base.exists() or not any(p.is_dir() and (p / "cm-result.json").exists() for p in base.iterdir())


def test_no_command_is_an_error(cm_cli) -> None:
    r = cm_cli("run", "experiment", "nocmd", "--explore.N,=1,2")
    assert r.exit_code == 4 and "give it after '--'" in r.stderr


def test_rerun_appends_to_the_latest_run(cm_cli, cm_home) -> None:
    assert cm_cli("run", "experiment", "rr", "--explore.N,=1,2", "--", "bash", "-c",
                  'echo "{\\"n\\": {{N}}}" > cm-result.json').exit_code == 0
    r = cm_cli("rerun", "experiment", "rr")
    assert r.exit_code == 0, r.stderr
    (run,) = _runs(cm_home, "rr")
    assert [e["n"] for e in json.loads((run / "cm-result.json").read_text())] == [1, 2, 1, 2]
    missing = cm_cli("rerun", "experiment", "never-ran")
    assert missing.exit_code == 16


def test_replay_compares_with_the_record(cm_session, tmp_path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("5")
    cmd = ["bash", "-c", f'echo "{{\\"v\\": $(cat {counter}), \\"k\\": {{{{K}}}}}}" > cm-result.json']
    r = cm_session.access({"action": "run", "automation": "experiment", "artifact": "rp",
                           "explore": {"K": [1, 2]}, "unparsed_cmd": cmd})
    assert r["return"] == 0, r
    same = cm_session.access({"action": "replay", "automation": "experiment", "artifact": "rp"})
    assert same["return"] == 0 and same["same"] is True and len(same["replayed"]) == 2
    replay_dir = Path(same["replayed"][0]["path"])
    assert replay_dir.parent.name == r["steps"][0]["uid"] and (replay_dir / "cm-result.json").is_file()
    # the recorded step output is untouched by the replay
    assert json.loads((replay_dir.parent / "cm-result.json").read_text())["v"] == 5
    counter.write_text("6")
    uid = r["steps"][1]["uid"]
    diff = cm_session.access({"action": "replay", "automation": "experiment", "artifact": "rp", "uid": uid})
    assert diff["return"] == 1 and "v: 5 -> 6" in diff["error"]
    close = cm_session.access({"action": "replay", "automation": "experiment", "artifact": "rp", "uid": uid,
                               "tolerance": "0.25"})
    assert close["return"] == 0
    nope = cm_session.access({"action": "replay", "automation": "experiment", "artifact": "rp", "uid": "0" * 16})
    assert nope["return"] == 16


def test_several_matching_experiments_are_ambiguous(cm_session) -> None:
    for name in ("a1", "a2"):
        assert cm_session.access({"action": "add", "automation": "experiment", "artifact": name,
                                  "tags": "same"})["return"] == 0
    r = cm_session.access({"action": "run", "automation": "experiment", "tags": "same",
                           "unparsed_cmd": ["true"]})
    assert r["return"] == 1 and "2 experiments match" in r["error"]


def test_unknown_executor_is_a_clear_error(cm_session) -> None:
    r = cm_session.access({"action": "run", "automation": "experiment", "artifact": "ex", "executor": "lcoal",
                           "unparsed_cmd": ["true"]})
    assert r["return"] == 16 and 'did you mean "local"' in r["error"]
