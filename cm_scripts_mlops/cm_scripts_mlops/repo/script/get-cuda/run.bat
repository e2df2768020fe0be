@echo off
"%CM_NVCC_BIN_WITH_PATH%" -V > tmp-ver.out 2>&1
