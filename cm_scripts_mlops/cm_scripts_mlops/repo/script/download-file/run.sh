#!/bin/bash
# The default downloader (cmutil) runs in Python during preprocess; wget and curl run here.
if [[ -n "${CM_DOWNLOAD_CMD}" ]]; then
  echo "${CM_DOWNLOAD_CMD}"
  eval "${CM_DOWNLOAD_CMD}" || exit $?
fi
