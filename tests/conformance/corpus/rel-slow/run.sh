#!/bin/bash
# With @@STATE@@/block present the run announces itself and then waits to be killed.
if [ -f "@@STATE@@/block" ]; then
  echo "$PWD" > "@@STATE@@/rel-slow.started"
  echo "partial" > partial-output.txt
  sleep 30
fi
echo "run" >> "@@STATE@@/rel-slow.log"
echo "REL_DIR=$PWD" > tmp-run-env.out
