#!/bin/bash
sleep 1
echo "run" >> "@@STATE@@/rel-cached.log"
echo "REL_DIR=$PWD" > tmp-run-env.out
echo "REL_VALUE=computed" >> tmp-run-env.out
