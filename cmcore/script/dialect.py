"""The naming layer between the CM and MLC dialects (CM-FORMAT §5.1).

One engine serves both; a script's meta file decides its dialect: ``_cm.yaml``/``_cm.json``
speak CM (``CM_`` keys, ``cm-cached-state.json``, ``from cmind import utils``), ``meta.yaml``/
``meta.json`` speak MLC (``MLC_`` keys, ``mlc-cached-state.json``, ``from mlc import utils``).
"""

from __future__ import annotations

from cmcore.records import record


@record(frozen=True)
class Dialect:
    name: str  # "cm" or "mlc"
    prefix: str  # "CM_" or "MLC_"
    meta_files: tuple[str, ...]
    cached_state_file: str
    compat_module: str  # the package old customize.py files import utils from

    def key(self, suffix: str) -> str:
        """``dialect.key('VERSION')`` → ``CM_VERSION`` or ``MLC_VERSION``."""
        return f"{self.prefix}{suffix}"

    def tmp(self, suffix: str) -> str:
        """``dialect.tmp('CURRENT_PATH')`` → ``CM_TMP_CURRENT_PATH``."""
        return f"{self.prefix}TMP_{suffix}"


CM = Dialect("cm", "CM_", ("_cm.yaml", "_cm.json"), "cm-cached-state.json", "cmind")
MLC = Dialect("mlc", "MLC_", ("meta.yaml", "meta.json"), "mlc-cached-state.json", "mlc")

DIALECTS = {"cm": CM, "mlc": MLC}


def dialect_of_meta_files(names: list[str] | tuple[str, ...] | set[str]) -> Dialect:
    """The dialect of an artifact folder, from the meta file names it holds."""
    if any(n in ("_cm.yaml", "_cm.json") for n in names):
        return CM
    return MLC
