"""cm-scripts-mlops: the core CM script collection, shipped as a package.

The scripts live in the bundled CM repository ``cm_scripts_mlops/repo`` and are registered
with ``cm`` through the ``cm_repos`` hook in :mod:`cm_scripts_mlops.plugin`. Shared Python
helpers that the scripts' ``customize.py`` files use are in :mod:`cm_scripts_mlops.lib`.
"""

from pathlib import Path

__version__ = "0.1.0"

REPO_PATH = Path(__file__).resolve().parent / "repo"
