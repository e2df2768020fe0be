@echo off
rem Windows: Python (customize.py) fills in everything; only the flavor comes from here.
echo CM_HOST_OS_FLAVOR=windows> tmp-run-env.out
echo CM_HOST_OS_FLAVOR_LIKE=windows>> tmp-run-env.out
echo CM_HOST_PLATFORM_FLAVOR=%PROCESSOR_ARCHITECTURE%>> tmp-run-env.out
