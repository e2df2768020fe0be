#!/bin/bash
"${CM_LLVM_CLANG_BIN_WITH_PATH}" --version > tmp-ver.out 2>&1
