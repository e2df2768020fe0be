#!/bin/bash
# CM-FORMAT §7 T1. T1_RAW (optional) is echoed verbatim so that the `k=v` case can be
# checked; T1_DUMP (optional) receives T1_A byte-for-byte (no trailing newline).
if [ -n "${T1_DUMP}" ]; then
  printf '%s' "${T1_A}" > "${T1_DUMP}"
fi
if [ -n "${T1_RAW}" ]; then
  echo "T1_OUT=${T1_RAW}" > tmp-run-env.out
else
  echo "T1_OUT=$T1_A|$T1_B|$T1_C" > tmp-run-env.out
fi
