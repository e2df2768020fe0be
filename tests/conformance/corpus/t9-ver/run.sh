#!/bin/bash
# Addition to §7: export the version the native script saw.
echo "T9_VER_SEEN=$CM_VERSION" > tmp-run-env.out
