#!/bin/bash
# Run on every cache lookup: re-detect the installed version, so that a package removed or
# changed underneath (pip uninstall, an upgrade by hand) invalidates the cache entry.
"${CM_PYTHON_BIN_WITH_PATH}" "${CM_TMP_CURRENT_SCRIPT_PATH}/detect-version.py"
