#!/bin/bash
# lscpu for the topology; memory and disk capacity in the units `free -h`/`df -h` print.
if command -v lscpu >/dev/null 2>&1; then
  LC_ALL=C lscpu > tmp-lscpu.out 2>/dev/null
else
  : > tmp-lscpu.out
fi
{
  if command -v free >/dev/null 2>&1; then
    echo "CM_HOST_MEMORY_CAPACITY=$(free -h | awk '/^Mem:/ {print $2}')"
  fi
  if command -v df >/dev/null 2>&1; then
    disk=$(df -h --total -l 2>/dev/null | awk '/^total/ {print $2}')
    [[ -n "${disk}" ]] && echo "CM_HOST_DISK_CAPACITY=${disk}"
  fi
} > tmp-run-env.out
exit 0
