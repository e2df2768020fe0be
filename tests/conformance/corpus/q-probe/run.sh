#!/bin/bash
echo "QP_QUIET=$CM_QUIET" > tmp-run-env.out
