#!/bin/bash
echo "install $CM_VERSION" >> "@@STATE@@/t7.log"
echo "T7_BIN=$PWD/t7-$CM_VERSION" > tmp-run-env.out
