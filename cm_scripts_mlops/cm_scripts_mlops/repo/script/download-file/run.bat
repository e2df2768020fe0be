@echo off
rem The default downloader (cmutil) runs in Python during preprocess; wget/curl need a POSIX shell.
if not "%CM_DOWNLOAD_CMD%"=="" (
  echo wget/curl downloads are not supported on Windows: use the default _cmutil 1>&2
  exit /b 1
)
