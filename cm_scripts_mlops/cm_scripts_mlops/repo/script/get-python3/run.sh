#!/bin/bash
# Python 2 printed its version on stderr, hence 2>&1.
"${CM_PYTHON_BIN_WITH_PATH}" --version > tmp-ver.out 2>&1
