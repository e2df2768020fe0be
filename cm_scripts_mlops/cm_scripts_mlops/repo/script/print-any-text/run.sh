#!/bin/bash
[[ -n "${CM_PRINT_ANY_TEXT}" ]] && echo "${CM_PRINT_ANY_TEXT}"
IFS=',' read -ra keys <<< "${CM_PRINT_ANY_OS_ENV_KEYS}"
for k in "${keys[@]}"; do
  k="${k// /}"
  [[ "${k}" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && echo "${k} = ${!k}"
done
exit 0
