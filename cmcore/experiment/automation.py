"""The ``experiment`` automation (CM-FORMAT §4.2), with CM's flaws fixed.

``cm run experiment [name] --tags=a,b [@explore.yaml] [--executor=local|ray] -- CMD {{VAR}}``
runs CMD once per point of the Cartesian product of the ``explore`` dimensions, each in its
own step folder, and records every step in ``<run>/cm-result.json`` and in the results store.

Differences from CM, on purpose (see docs/compatibility.md):

* explore expressions are evaluated by :mod:`cmcore.experiment.safeexpr`, never ``eval``;
* a step's results are read from ``cm-result.json`` (the file CM's docs name), else
  ``cm-output.json`` (what CM's code read);
* exit codes are recorded for every step, and a run with failed steps returns code 2 naming
  them (CM ignored them);
* flattening uses a fresh dict per step (CM's shared default leaked keys between steps);
* ``cm replay experiment`` re-runs recorded steps and compares their outputs with the
  recorded ones (CM started a new, unrelated run with an extra tag);
* steps run through a sweep executor (``local``, or ``ray`` from cm-executor-ray).
"""

from __future__ import annotations

import json
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from cmcore.automations.generic import GenericActions, _truthy
from cmcore.errors import GENERIC, NOT_FOUND, SCRIPT_FAILED, CMError
from cmcore.experiment import steps as st
from cmcore.experiment.record import record_result
from cmcore.metaio import atomic_write_text
from cmcore.refs import gen_uid

#: input keys that describe the invocation itself, not the experiment (not saved in cm-input.json)
_PARSED_KEYS = ("action", "automation", "cmd", "out", "rerun", "dir", "json", "j")
_STEP_VARS = ("CM_EXPERIMENT_STEP", "CM_EXPERIMENT_PATH", "CM_EXPERIMENT_PATH2", "CM_EXPERIMENT_PATH3")


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise CMError(f"{path} not found", NOT_FOUND) from exc
    except ValueError as exc:
        raise CMError(f"{path} is not valid JSON: {exc}", GENERIC) from exc


def _run_folders(art_path: Path) -> list[Path]:
    """Run folders that finished at least one step, oldest first."""
    return sorted(p for p in art_path.iterdir() if p.is_dir() and (p / "cm-result.json").is_file())


def _tags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return [str(t) for t in value or []]


class ExperimentAutomation(GenericActions):
    """Explore a command over parameter grids; rerun and replay recorded steps."""

    name: ClassVar[str] = "experiment"
    uid: ClassVar[str] = "a0a2d123ef064bcb"

    # -- finding the experiment ---------------------------------------------------------
    def _find_one(self, i: dict, *, create: bool) -> Any:
        refs = self._refs(i)
        found = self._find(i, refs[:1], "" if refs else i.get("tags"))
        if len(found) > 1:
            names = ", ".join(a.alias or a.uid or str(a.path) for a in found)
            raise CMError(f"{len(found)} experiments match ({names}); name one or add tags", GENERIC)
        if found:
            return found[0]
        if not create:
            raise self._not_found(i, refs)
        return self.session.db.add(self.folder, refs[0] if refs else None, repo=i.get("repo") or None,
                                   tags=_tags(i.get("tags")), fmt="json")

    @staticmethod
    def _new_run_folder(art_path: Path, forced: str | None) -> Path:
        if forced:
            d = art_path / forced
            d.mkdir(parents=True, exist_ok=True)
            return d
        stamp = datetime.now().isoformat().replace(":", "-").replace("T", ".")
        d, n = art_path / stamp, 0
        while d.exists():  # a clash within the same microsecond: .1, .2, ...
            n += 1
            d = art_path / f"{stamp}.{n}"
        d.mkdir(parents=True)
        return d

    # -- actions ------------------------------------------------------------------------
    def run(self, i: dict) -> dict:
        """Run CMD for every point of the explore grid; see the module docstring."""
        rerun = _truthy(i.get("rerun"))
        art = self._find_one(i, create=not rerun)
        art_path = Path(art.path)
        if rerun:
            runs = _run_folders(art_path)
            if not runs:
                raise CMError(f"nothing to rerun: experiment {art.alias or art.uid} has no recorded run", NOT_FOUND)
            run_dir = art_path / i["dir"] if i.get("dir") else runs[-1]
            saved = _read_json(run_dir / "cm-input.json")
            # the recorded command and grid, unless this call gives new ones
            i = {**saved, **{k: v for k, v in i.items() if v not in (None, "", [], {})}}
        template, inline = st.inline_dimensions(st.build_command(i.get("unparsed_cmd")))
        explore = dict(i.get("explore") or {})
        for k, v in inline.items():
            explore.setdefault(k, v)
        points = st.grid(explore)  # bad expressions fail here, before any folder is made
        user_env: dict[str, Any] = i["env"] if isinstance(i.get("env"), dict) else {}
        st.substitute(template, {**user_env, **points[0], "CD": "", **dict.fromkeys(_STEP_VARS, "")})
        if not rerun:
            run_dir = self._new_run_folder(art_path, i.get("dir"))
            _write_json(run_dir / "cm-input.json", {k: v for k, v in i.items() if k not in _PARSED_KEYS})
        tasks = [self._step_task(i, art_path, run_dir, template, p) for p in points]
        results = self._execute(i, tasks)
        entries = [self._record_step(art, run_dir, t, r) for t, r in zip(tasks, results, strict=True)]
        failed = [e for e in entries if e["returncode"] != 0]
        out = {"return": 0, "experiment_path": str(art_path), "experiment_path2": str(run_dir),
               "steps": entries, "failed": len(failed)}
        if self._con(i):
            self._print(f"experiment {art.alias or art.uid}: {len(entries)} step(s), {len(failed)} failed; "
                        f"results in {run_dir / 'cm-result.json'}")
        if failed:
            codes = ", ".join(f"{e['uid']}: exit {e['returncode']}" for e in failed[:5])
            raise CMError(f"{len(failed)} of {len(entries)} experiment steps failed ({codes}); "
                          f"see {run_dir}/<step>/cm-step.log", SCRIPT_FAILED, **{k: v for k, v in out.items()
                                                                               if k != "return"})
        return out

    def rerun(self, i: dict) -> dict:
        """Run the latest recorded run (or ``--dir``) again, appending to its ``cm-result.json``."""
        return self.run({**i, "rerun": True})

    def _step_task(self, i: dict, art_path: Path, run_dir: Path, template: str, point: dict) -> dict:
        uid = gen_uid()
        step_dir = run_dir / uid
        step_dir.mkdir(parents=True)
        user_env = {str(k): str(v) for k, v in (i.get("env") or {}).items()} if isinstance(i.get("env"), dict) else {}
        env = {**user_env, **{k: str(v) for k, v in point.items()}}
        env.update(CM_EXPERIMENT_STEP=uid, CM_EXPERIMENT_PATH=str(art_path), CM_EXPERIMENT_PATH2=str(run_dir),
                   CM_EXPERIMENT_PATH3=str(step_dir))
        variables = {**env, "CD": os.getcwd()}
        task = {"cmd": st.substitute(template, variables), "cwd": str(step_dir), "env": env,
                "timeout": float(i["timeout"]) if i.get("timeout") else None,
                "uid": uid, "template": template, "point": point}
        _write_json(step_dir / "cm-input.json", task)
        return task

    def _execute(self, i: dict, tasks: list[dict]) -> list[dict]:
        from cmcore.platform.executors import get_executor
        from cmcore.platform.progress import Progress

        executor = get_executor(self.session, i.get("executor"), address=i.get("address"))
        label = "experiment"
        with Progress(len(tasks), label) as bar:
            if getattr(executor, "parallel", False):
                results = list(executor.map(st.run_step, tasks))
                for t, r in zip(tasks, results, strict=True):
                    bar.done(_point_label(t["point"]), f"exit {r['returncode']}")
                return results
            results = []
            for t in tasks:  # one at a time, so the bar moves as steps finish
                r = executor.map(st.run_step, [t])[0]
                bar.done(_point_label(t["point"]), f"exit {r['returncode']}")
                results.append(r)
            return results

    def _record_step(self, art: Any, run_dir: Path, task: dict, res: dict) -> dict:
        entry: dict[str, Any] = {}
        if res.get("output") is not None:
            entry.update(st.flatten(res["output"]))
        entry.update({f"explore.{k}": v for k, v in task["point"].items()})
        entry.update(uid=task["uid"], iso_datetime=datetime.now().isoformat(), returncode=res["returncode"],
                     duration_s=res["duration_s"], host=res.get("host", ""), output_file=res.get("output_file", ""))
        if res.get("error"):
            entry["error"] = res["error"]
        _write_json(Path(task["cwd"]) / "cm-step.json", res)
        result_file = run_dir / "cm-result.json"
        recorded = _read_json(result_file) if result_file.is_file() else []
        _write_json(result_file, [*recorded, entry])
        tags = ["experiment", f"experiment-{art.uid}", f"step-{task['uid']}", *art.tags]
        store = {"kind": "experiment-step", "experiment": art.alias or art.uid, "run": run_dir.name, **entry}
        entry["result_path"] = str(record_result(self.session, store, tags))
        return entry

    def replay(self, i: dict) -> dict:
        """Re-run recorded steps (``--uid``, else every step of the run) and compare their outputs.

        ``--dir`` picks the run (default: the latest); ``--tolerance=0.05`` accepts numbers
        within 5 % (default: exact). Differences are an error (code 1) that lists them.
        """
        art = self._find_one(i, create=False)
        art_path = Path(art.path)
        runs = _run_folders(art_path)
        if i.get("dir"):
            run_dir = art_path / str(i["dir"])
        elif runs:
            run_dir = runs[-1]
        else:
            raise CMError(f"nothing to replay: experiment {art.alias or art.uid} has no recorded run", NOT_FOUND)
        recorded = {e["uid"]: e for e in _read_json(run_dir / "cm-result.json")}
        uids = [str(i["uid"])] if i.get("uid") else list(recorded)
        tol = float(i.get("tolerance") or 0.0)
        reports = []
        for uid in uids:
            if uid not in recorded:
                raise CMError(f"step {uid} is not in {run_dir / 'cm-result.json'} "
                              f"(steps: {', '.join(recorded)})", NOT_FOUND)
            reports.append(self._replay_step(i, run_dir, recorded[uid], tol))
        diffs = [f"{r['uid']}: {d}" for r in reports for d in r["differences"]]
        out = {"return": 0, "experiment_path2": str(run_dir), "replayed": reports, "same": not diffs}
        if self._con(i):
            self._print(f"replayed {len(reports)} step(s) of {run_dir.name}: "
                        + ("outputs match" if not diffs else f"{len(diffs)} difference(s)"))
        if diffs:
            raise CMError(f"replay differs from the record: {'; '.join(diffs[:5])}", GENERIC,
                          **{k: v for k, v in out.items() if k != "return"})
        return out

    def _replay_step(self, i: dict, run_dir: Path, old: dict, tol: float) -> dict:
        step_dir = run_dir / old["uid"]
        task = _read_json(step_dir / "cm-input.json")
        where = step_dir / ("replay-" + datetime.now().isoformat().replace(":", "-"))
        env = {**task["env"], "CM_EXPERIMENT_PATH3": str(where)}
        new_task = {**task, "cwd": str(where), "env": env,
                    "cmd": st.substitute(task["template"], {**env, "CD": os.getcwd()})}
        res = self._execute(i, [new_task])[0]
        new = {**(st.flatten(res["output"]) if res.get("output") is not None else {}),
               "returncode": res["returncode"]}
        keys = [k for k in old if not k.startswith("explore.") and k not in _NOT_COMPARED]
        keys += [k for k in new if k not in old and k not in _NOT_COMPARED]
        differences = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys
                       if not _same(old.get(k), new.get(k), tol)]
        _write_json(where / "cm-replay.json", {"recorded": old, "replayed": new, "differences": differences})
        return {"uid": old["uid"], "path": str(where), "differences": differences}


_NOT_COMPARED = {"uid", "iso_datetime", "duration_s", "host", "result_path", "output_file", "error"}


def _same(a: Any, b: Any, tol: float) -> bool:
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=tol, abs_tol=0.0 if tol == 0 else 1e-12)
    return bool(a == b)


def _point_label(point: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in point.items()) or "(single step)"
