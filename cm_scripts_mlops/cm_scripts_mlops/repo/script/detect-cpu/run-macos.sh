#!/bin/bash
# macOS has no lscpu: sysctl gives the same facts; customize.py maps the names.
sysctl hw machdep.cpu 2>/dev/null | sed 's/: /:/' > tmp-lscpu.out
{
  echo "CM_HOST_MEMORY_CAPACITY=$(( $(sysctl -n hw.memsize) / 1073741824 ))G"
  echo "CM_TMP_MACOS_CPU_FEATURES=$(sysctl -n machdep.cpu.features machdep.cpu.leaf7_features 2>/dev/null | tr '\n' ' ')"
} > tmp-run-env.out
exit 0
