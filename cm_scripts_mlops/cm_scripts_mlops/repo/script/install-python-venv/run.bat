@echo off
if not exist "%CM_VIRTUAL_ENV_SCRIPTS_PATH%\python.exe" (
  "%CM_PYTHON_BIN_WITH_PATH%" -m venv "%CM_VIRTUAL_ENV_PATH%" || exit /b %errorlevel%
)
