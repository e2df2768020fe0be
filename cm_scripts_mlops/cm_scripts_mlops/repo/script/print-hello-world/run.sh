#!/bin/bash
# CM_ENV_TEST1 comes from default_env (so --env.CM_ENV_TEST1 wins), CM_ENV_TEST2 from env
# (so it wins over --env.CM_ENV_TEST2); --test1=X maps to CM_ENV_TEST1 and wins over both.
if [[ "${CM_PRINT_HELLO_WORLD_SKIP_PRINT_ENV}" != "yes" ]]; then
  echo "CM_ENV_TEST1 = ${CM_ENV_TEST1}"
  echo "CM_ENV_TEST2 = ${CM_ENV_TEST2}"
  echo "CM_ENV_TEST3 = ${CM_ENV_TEST3}"
  echo ""
fi
echo "${CM_PRINT_HELLO_WORLD_TEXT:-HELLO WORLD!}"
echo "CM_NEW_VAR_FROM_RUN=${CM_ENV_TEST1}" > tmp-run-env.out
