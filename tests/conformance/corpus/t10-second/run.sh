#!/bin/bash
# How often does /opt/t10/bin appear in PATH, and did the script_prefix line run?
n=$(echo "$PATH" | tr ':' '\n' | grep -c '^/opt/t10/bin$')
echo "T10B_PATH_COUNT=$n" > tmp-run-env.out
echo "T10B_SEEN=$T10_PREFIX_SEEN" >> tmp-run-env.out
