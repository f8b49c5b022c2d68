"""NumPy's own OpenBLAS on the FFN's GEMM shapes, one thread, as scripts/benchmark-blas compares it.

x @ W.T with W stored [out, in], float32; prints the same lines as ffnbench.perf.SgemmBenchmark:
  BLAS numpy-<numpy version> <OpenBLAS version> <kernel>
  SGEMM <shape> <median GFLOP/s>
"""
import os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
from openblas_probe import openblas

SHAPES = [("swiglu-in", 4096, 1024, 5632), ("swiglu-out", 4096, 2816, 1024),
          ("gelu-in", 4096, 768, 3072), ("gelu-out", 4096, 3072, 768)]
seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0

np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)   # loads BLAS
version, kernel = openblas()
print(f"BLAS numpy-{np.__version__} {version} {kernel}")
rng = np.random.default_rng(1)
for name, m, k, n in SHAPES:
    a = rng.standard_normal((m, k), dtype=np.float32)
    w = (rng.standard_normal((n, k), dtype=np.float32) * 0.03).astype(np.float32)
    c = np.empty((m, n), np.float32)
    np.matmul(a, w.T, out=c)
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter(); np.matmul(a, w.T, out=c); times.append(time.perf_counter() - t0)
    times.sort()
    print(f"SGEMM {name} {2.0 * m * k * n / times[len(times) // 2] / 1e9:.1f}")
