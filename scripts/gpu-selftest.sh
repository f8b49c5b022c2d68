#!/usr/bin/env bash
# On a GPU machine: builds the CUDA kernels and the native self-test (no Java needed) and runs it:
# every kernel against the CPU implementation's reference outputs (jobs/gpu/src/test/
# resources/gpu-reference.bin), then FFN GFLOP/s against cuBLAS alone for the same shapes (FP32, TF32, BF16)
# and the statistics' overhead. Exit status: 0 all passed, 1 a check failed, 77 no GPU here.
#   scripts/gpu-selftest.sh            FFNBENCH_CUBLAS=/path/libcublas.so.N if cuBLAS is not on the loader path
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/build-gpu || exit 2
if [[ -z "${FFNBENCH_CUBLAS:-}" ]]; then   # PyTorch's wheels ship cuBLAS; use it when the system has none
  FFNBENCH_CUBLAS=$(find / -name 'libcublas.so.*' -not -path '*/proc/*' 2>/dev/null | sort | head -1)
  [[ -n "$FFNBENCH_CUBLAS" ]] && export FFNBENCH_CUBLAS && export LD_LIBRARY_PATH="$(dirname "$FFNBENCH_CUBLAS"):${LD_LIBRARY_PATH:-}"
fi
jobs/gpu/target/native/gpu_selftest jobs/gpu/src/test/resources/gpu-reference.bin --bench
