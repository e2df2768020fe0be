#!/bin/bash
# The engine's env has CM_PYTHONLIB_TARGET_PYTHON (set by preprocess): ask that environment.
"${CM_PYTHON_BIN_WITH_PATH}" "${CM_TMP_CURRENT_SCRIPT_PATH}/detect-version.py"
