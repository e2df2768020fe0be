#!/bin/bash
# Writes `uname -m` / `uname -a` to tmp-run.out and the OS facts to tmp-run-env.out.
uname -m > tmp-run.out
uname -a >> tmp-run.out

{
  if [[ "$(uname -s)" == "Darwin" ]]; then
    echo "CM_HOST_OS_FLAVOR=macos"
    echo "CM_HOST_OS_FLAVOR_LIKE=macos"
    echo "CM_HOST_OS_VERSION=$(sw_vers -productVersion 2>/dev/null)"
  elif [[ -f /etc/os-release ]]; then
    # Read in a subshell so os-release variables do not leak into this script.
    (
      . /etc/os-release
      echo "CM_HOST_OS_FLAVOR=$(echo "${ID}" | tr '[:upper:]' '[:lower:]')"
      echo "CM_HOST_OS_FLAVOR_LIKE=${ID_LIKE:-${ID}}"
      echo "CM_HOST_OS_VERSION=${VERSION_ID}"
    )
  fi
  echo "CM_HOST_OS_KERNEL_VERSION=$(uname -r)"
  echo "CM_HOST_PLATFORM_FLAVOR=$(uname -m)"
  if command -v ldd >/dev/null 2>&1; then
    glibc=$(ldd --version 2>&1 | head -n 1 | grep -oE '[0-9]+\.[0-9]+' | tail -n 1)
    [[ -n "${glibc}" ]] && echo "CM_HOST_OS_GLIBC_VERSION=${glibc}"
  fi
  if [[ "$(getconf LONG_BIT 2>/dev/null)" =~ ^(32|64)$ ]]; then
    echo "CM_HOST_OS_BITS=$(getconf LONG_BIT)"
  fi
} > tmp-run-env.out
exit 0
