@echo off
"%CM_PYTHON_BIN_WITH_PATH%" "%~dp0detect-version.py"
