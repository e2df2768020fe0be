@echo off
if not "%CM_PRINT_HELLO_WORLD_SKIP_PRINT_ENV%"=="yes" (
  echo CM_ENV_TEST1 = %CM_ENV_TEST1%
  echo CM_ENV_TEST2 = %CM_ENV_TEST2%
  echo CM_ENV_TEST3 = %CM_ENV_TEST3%
  echo.
)
if "%CM_PRINT_HELLO_WORLD_TEXT%"=="" (echo HELLO WORLD!) else (echo %CM_PRINT_HELLO_WORLD_TEXT%)
echo CM_NEW_VAR_FROM_RUN=%CM_ENV_TEST1%> tmp-run-env.out
