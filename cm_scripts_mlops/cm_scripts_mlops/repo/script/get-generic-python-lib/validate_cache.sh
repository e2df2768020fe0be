#!/bin/bash
# Run on every cache lookup (with the entry's exported env): re-detect the installed version,
# so that a package removed or changed underneath (pip uninstall, an upgrade by hand)
# invalidates the cache entry. A missing package exits 1; a changed one reports its version.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"${CM_PYTHON_BIN_WITH_PATH}" "${here}/detect-version.py" || exit 1
echo "CM_DETECTED_VERSION=$(cat tmp-ver.out)" > tmp-run-env.out
