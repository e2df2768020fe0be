#!/bin/bash
"${CM_GCC_BIN_WITH_PATH}" --version > tmp-ver.out 2>&1
