@echo off
"%CM_PYTHON_BIN_WITH_PATH%" "%~dp0detect-version.py" || exit /b 1
set /p V=<tmp-ver.out
echo CM_DETECTED_VERSION=%V%> tmp-run-env.out
