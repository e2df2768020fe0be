"""One LoadGen test end to end, from the ``cm`` process.

:func:`run_test` makes the test's own working folder, writes ``user.conf`` and the harness
config, runs :mod:`.harness_main` in a fresh subprocess of the tool-owned python (cwd = that
folder, so stray ``user.conf``/``audit.config`` files elsewhere are never read), then parses
the LoadGen logs and computes accuracy. Nothing here imports numpy or onnxruntime.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cm_scripts_mlops.mlperf import MODES, SCENARIOS, accuracy, pypath, userconf
from cm_scripts_mlops.mlperf.records import flat_result
from cmcore.errors import GENERIC, NOT_FOUND, CMError


@dataclass
class TestSpec:
    """Everything one LoadGen test needs."""

    python: str                      # the tool-owned environment's interpreter
    model_path: str
    model_name: str
    dataset: str                     # .npz with x (inputs) and y (labels)
    labels: list[int]
    scenario: str
    mode: str
    work_dir: Path
    backend: str = "onnxruntime"
    device: dict[str, Any] = field(default_factory=lambda: {"kind": "cpu", "name": "cpu:0"})
    options: dict[str, Any] = field(default_factory=dict)
    batch_size: int = 1
    label_offset: int = 0
    settings: userconf.RunSettings | None = None
    timeout: float = 3600.0
    inputs: list[str] = field(default_factory=list)  # several model inputs: dataset arrays in0, in1, ...
    synthetic: bool = False          # generated inputs: no labels, outputs are not looked at
    pad_batch: bool = False          # the model fixes its batch: pad a short last batch

    def check(self) -> None:
        if self.scenario not in SCENARIOS:
            raise CMError(f"unknown scenario {self.scenario!r}: use one of {', '.join(SCENARIOS)}", GENERIC)
        if self.mode not in MODES:
            raise CMError(f"unknown mode {self.mode!r}: use performance or accuracy", GENERIC)
        for what, p in (("model", self.model_path), ("dataset", self.dataset), ("python", self.python)):
            if not Path(p).is_file():
                raise CMError(f"{what} file {p} not found", NOT_FOUND)
        if self.batch_size < 1:
            raise CMError(f"batch size must be at least 1, not {self.batch_size}", GENERIC)


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("harness error:"):
            return ln[len("harness error:"):].strip()
    return lines[-1] if lines else "no output"


def run_test(spec: TestSpec, stack: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run the test; return ``{'result': flat dict, 'out_dir': Path, 'info': harness info}``."""
    spec.check()
    work = Path(spec.work_dir)
    out_dir = work / "logs"
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = spec.settings or userconf.RunSettings(scenario=spec.scenario, model=spec.model_name)
    settings.model = spec.model_name
    conf = work / "user.conf"
    conf.write_text(userconf.text(settings))
    cfg = {"backend": spec.backend, "device": spec.device, "options": spec.options,
           "model_path": str(spec.model_path), "dataset": str(spec.dataset), "scenario": spec.scenario,
           "mode": spec.mode, "batch_size": spec.batch_size, "user_conf": str(conf),
           "model_name": spec.model_name, "output_dir": str(out_dir), "label_offset": spec.label_offset,
           "performance_sample_count": settings.performance_sample_count or 0,
           "inputs": list(spec.inputs), "synthetic": spec.synthetic, "pad_batch": spec.pad_batch}
    cfg_path = work / "harness.json"
    cfg_path.write_text(json.dumps(cfg, indent=2))
    cmd = [spec.python, "-m", "cm_scripts_mlops.mlperf.harness_main", str(cfg_path)]
    try:
        p = subprocess.run(cmd, cwd=work, env=pypath.subprocess_env(work), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=spec.timeout)
    except subprocess.TimeoutExpired:
        raise CMError(f"the LoadGen test did not finish within {spec.timeout:g}s ({work})", GENERIC) from None
    (work / "harness.log").write_text(p.stdout)
    if p.returncode != 0:
        raise CMError(f"the LoadGen test failed: {_last_error(p.stdout)} (log: {work / 'harness.log'})", 2)
    info = json.loads((out_dir / "harness_info.json").read_text())
    acc = None
    if spec.mode == "accuracy":
        acc = accuracy.top1(out_dir / "mlperf_log_accuracy.json", spec.labels)
        (out_dir / "accuracy.txt").write_text(
            f"accuracy={acc['accuracy'] * 100:.3f}% good={acc['good']} total={acc['total']}\n")
    result = flat_result(out_dir, scenario=spec.scenario, mode=spec.mode, info=info, accuracy=acc,
                         stack=dict(stack or {}))
    return {"result": result, "out_dir": out_dir, "info": info, "accuracy": acc}


def read_labels(path: str | Path) -> list[int]:
    """One integer label per line (``labels.txt`` of our dataset scripts)."""
    try:
        return [int(x) for x in Path(path).read_text().split()]
    except (OSError, ValueError) as exc:
        raise CMError(f"cannot read labels from {path}: {exc}", GENERIC) from exc
