#!/bin/bash
# nvcc prints "Cuda compilation tools, release 12.4, V12.4.131"; for the runtime library
# alone the version comes from its file name (libcudart.so.12.4.127).
if [[ "${CM_CUDA_LIB_ONLY}" == "yes" ]]; then
  echo "release ${CM_TMP_CUDART_VERSION}" > tmp-ver.out
else
  "${CM_NVCC_BIN_WITH_PATH}" -V > tmp-ver.out 2>&1
fi
