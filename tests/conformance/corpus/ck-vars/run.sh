#!/bin/bash
echo "run ${CK_LINK:-plain}" >> "@@STATE@@/ck-vars.log"
echo "CK_DIR=$PWD" > tmp-run-env.out
