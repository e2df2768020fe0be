#!/bin/bash
# Flags are option lists ("-O2 -g"): they are split into words on purpose.
set -e
objs=()
n=0
while IFS= read -r src; do
  [[ -z "${src}" ]] && continue
  n=$((n + 1))
  obj="obj-${n}-$(basename "${src%.*}").o"
  case "${src}" in
    *.c) cc="${CM_C_COMPILER_WITH_PATH}"; flags="${CM_C_COMPILER_FLAGS}" ;;
    *)   cc="${CM_CXX_COMPILER_WITH_PATH}"; flags="${CM_CXX_COMPILER_FLAGS}" ;;
  esac
  echo "${cc} ${CM_COMPILER_FLAGS} ${flags} -c ${src} -o ${obj}"
  "${cc}" ${CM_COMPILER_FLAGS} ${flags} -c "${src}" -o "${obj}"
  objs+=("${obj}")
done <<< "${CM_TMP_COMPILE_SOURCES}"
echo "${CM_TMP_COMPILE_LINKER} ${objs[*]} ${CM_LINKER_FLAGS} ${CM_LINKER_LIBS} -o ${CM_COMPILED_BIN_WITH_PATH}"
"${CM_TMP_COMPILE_LINKER}" "${objs[@]}" ${CM_LINKER_FLAGS} ${CM_LINKER_LIBS} -o "${CM_COMPILED_BIN_WITH_PATH}"
rm -f "${objs[@]}"
