#!/bin/bash
# An existing venv (a --renew of the cache entry) is kept.
if [[ ! -x "${CM_VIRTUAL_ENV_SCRIPTS_PATH}/python" ]]; then
  echo "${CM_PYTHON_BIN_WITH_PATH} -m venv ${CM_VIRTUAL_ENV_PATH}"
  "${CM_PYTHON_BIN_WITH_PATH}" -m venv "${CM_VIRTUAL_ENV_PATH}" || exit $?
fi
