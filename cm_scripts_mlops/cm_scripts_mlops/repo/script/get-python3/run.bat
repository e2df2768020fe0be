@echo off
"%CM_PYTHON_BIN_WITH_PATH%" --version > tmp-ver.out 2>&1
