@echo off
if not "%CM_PRINT_ANY_TEXT%"=="" echo %CM_PRINT_ANY_TEXT%
