"""Registers the automations that define the CM language.

Each factory imports its module only when that automation is first used, so
``cm find script`` never imports the experiment or cache code.
"""

from __future__ import annotations

from cmcore import hookimpl
from cmcore.types import AutomationSpec

TYPE_CHECKING = False  # no `typing` import at run time: it costs ~3 ms of every command
if TYPE_CHECKING:
    from typing import Any

REPO_UID = "55c3e27e8a140e48"
SCRIPT_UID = "5b4e0237da074764"
CACHE_UID = "541d6f712a6b464e"
EXPERIMENT_UID = "a0a2d123ef064bcb"
RESULT_UID = "6b8e2f0c41d7a953"
AUTOMATION_UID = "bbeb15d8f0a944a4"
UTILS_UID = "dc2743f8450541e3"
MLPERF_RESULTS_UID = "3f1c9a7e52b04d18"
CFG_UID = "88dce9c160324c5d"


def _lazy(module: str, cls: str) -> Any:
    def factory(session: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), cls)(session)

    return factory


@hookimpl
def cm_automations() -> list[AutomationSpec]:
    return [
        AutomationSpec("repo", REPO_UID, _lazy("cmcore.automations.repo", "RepoAutomation"),
                       "artifact repositories: pull, list, init, rm"),
        AutomationSpec("script", SCRIPT_UID, _lazy("cmcore.script.automation", "ScriptAutomation"),
                       "portable scripts: run, find, and the generic actions"),
        AutomationSpec("cache", CACHE_UID, _lazy("cmcore.cache.automation", "CacheAutomation"),
                       "cached script results: show, find, rm"),
        AutomationSpec("experiment", EXPERIMENT_UID,
                       _lazy("cmcore.experiment.automation", "ExperimentAutomation"),
                       "explore a command over parameter grids; rerun and replay steps"),
        AutomationSpec("utils", UTILS_UID, _lazy("cmcore.automations.utils", "UtilsAutomation"),
                       "helpers scripts call: download, unzip, compare versions, run a command"),
        AutomationSpec("result", RESULT_UID, _lazy("cmcore.results.automation", "ResultAutomation"),
                       "benchmark results: show, compare, find", aliases=("results",)),
        AutomationSpec("cfg", CFG_UID, _lazy("cmcore.automations.cfg", "CfgAutomation"),
                       "settings artifacts; `default`'s config.script holds defaults for every run"),
        AutomationSpec("mlperf-results", MLPERF_RESULTS_UID,
                       _lazy("cmcore.ecosystem.automation", "MlperfResultsAutomation"),
                       "official MLPerf results: import a published tree, compare a local run"),
    ]
