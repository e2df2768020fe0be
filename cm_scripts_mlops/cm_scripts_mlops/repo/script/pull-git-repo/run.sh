#!/bin/bash
work="${PWD}"
cd "${CM_GIT_CHECKOUT_PATH}" || exit 1
# A detached HEAD (a sha or tag checkout) has nothing to pull.
if git symbolic-ref -q HEAD >/dev/null; then
  git pull --ff-only || exit $?
fi
hash=$(git rev-parse HEAD)
cd "${work}" && echo "CM_GIT_REPO_CURRENT_HASH=${hash}" > tmp-run-env.out
