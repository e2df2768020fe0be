#!/bin/bash
echo "T10_PATH_HEAD=${PATH%%:*}" >> tmp-run-env.out
echo "T10_LDF=$LDFLAGS" >> tmp-run-env.out
echo "T10_SEEN=$T10_PREFIX_SEEN" >> tmp-run-env.out
