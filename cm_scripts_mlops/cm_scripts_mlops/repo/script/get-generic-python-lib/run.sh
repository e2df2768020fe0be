#!/bin/bash
# Ask the environment preprocess installed into (CM_PYTHONLIB_TARGET_PYTHON) for the version.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"${CM_PYTHON_BIN_WITH_PATH}" "${here}/detect-version.py"
