#!/bin/bash
# Clone into a temporary folder and rename it when complete, so that a killed clone never
# leaves a half-made checkout that later runs would take for a good one.
set -e
dest="${CM_GIT_CHECKOUT_PATH}"
work="${PWD}"

if [[ ! -d "${dest}/.git" ]]; then
  tmp="${dest}.tmp-clone"
  rm -rf "${tmp}"
  args=()
  [[ -n "${CM_GIT_CHECKOUT}" ]] && args+=(--branch "${CM_GIT_CHECKOUT}")
  # CM_GIT_DEPTH and CM_GIT_RECURSE_SUBMODULES hold options ("--depth 4"): split on purpose.
  echo "git clone ${CM_GIT_RECURSE_SUBMODULES} ${args[*]} ${CM_GIT_DEPTH} ${CM_GIT_URL} ${dest}"
  git clone ${CM_GIT_RECURSE_SUBMODULES} "${args[@]}" ${CM_GIT_DEPTH} "${CM_GIT_URL_FOR_CLONE}" "${tmp}"
  mv "${tmp}" "${dest}"
fi

cd "${dest}"
if [[ -n "${CM_GIT_SHA}" ]]; then
  git checkout -q "${CM_GIT_SHA}"
elif [[ -n "${CM_GIT_CHECKOUT_TAG}" ]]; then
  git fetch -q --tags
  git checkout -q "tags/${CM_GIT_CHECKOUT_TAG}"
fi
if [[ -n "${CM_GIT_PR_TO_APPLY}" ]]; then
  git fetch -q origin "${CM_GIT_PR_TO_APPLY}:pr-to-apply"
  git merge -q --no-edit pr-to-apply
fi
if [[ -n "${CM_GIT_CHERRYPICKS}" ]]; then
  IFS=';' read -ra picks <<< "${CM_GIT_CHERRYPICKS}"
  for c in "${picks[@]}"; do git cherry-pick -x "${c}"; done
fi
if [[ -n "${CM_GIT_SUBMODULES}" ]]; then
  IFS=';' read -ra subs <<< "${CM_GIT_SUBMODULES}"
  for s in "${subs[@]}"; do git submodule update --init "${s}"; done
fi
if [[ "${CM_GIT_REPO_NEEDS_LFS}" == "yes" ]]; then
  git lfs install --local && git lfs pull
fi
if [[ "${CM_GIT_PATCH}" == "yes" && -n "${CM_GIT_PATCH_FILEPATHS}" ]]; then
  IFS=';' read -ra patches <<< "${CM_GIT_PATCH_FILEPATHS}"
  for p in "${patches[@]}"; do git apply "${p}"; done
fi
hash=$(git rev-parse HEAD)
branch=$(git rev-parse --abbrev-ref HEAD)
cd "${work}"
{
  echo "CM_GIT_REPO_CURRENT_HASH=${hash}"
  echo "CM_GIT_REPO_CURRENT_BRANCH=${branch}"
} > tmp-run-env.out
