#!/bin/bash
# Where a cached dep runs, and what it is told about the user's directory.
echo "CWDP_PWD=$PWD" > tmp-run-env.out
echo "CWDP_USER=$CM_USER_RUN_DIR" >> tmp-run-env.out
