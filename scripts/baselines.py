#!/usr/bin/env python3
"""FFN forward baselines in NumPy and PyTorch (fp32, CPU) on the shapes of scripts/benchmark-kernels.

Prints one line per (framework, ffn) as 'BASELINE framework ffn tokens d d_ff median_s tokens_per_s gflops',
after one line per framework as 'LIBRARY framework <what it runs on>'.
Thread count comes from the environment (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, and torch.set_num_threads).
GELU is the exact erf form in both (NumPy: scipy.special.erf, else math.erf vectorised; PyTorch: its gelu default).
"""
import math
import os
import sys
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
TOKENS = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
THREADS = int(os.environ.get("OPENBLAS_NUM_THREADS", "1"))
SHAPES = [("swiglu", 1024, 2816), ("gelu", 768, 3072)]


def flops(ffn, t, d, f):
    gemm = 2 * t * d * (2 * f if ffn == "swiglu" else f) + 2 * t * f * d
    elementwise = t * f * (6 if ffn == "swiglu" else 8)
    return gemm + elementwise


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def measure(framework, ffn, d, f, run):
    run()   # warm-up
    times = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    report(framework, ffn, d, f, times)


def report(framework, ffn, d, f, times):
    m = median(times)
    print(f"BASELINE {framework} {ffn} {TOKENS} {d} {f} {m:.4f} {TOKENS / m:.0f} {flops(ffn, TOKENS, d, f) / m / 1e9:.1f}", flush=True)


def numpy_baseline():
    import numpy as np
    from openblas_probe import openblas
    np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)   # loads BLAS
    version, kernel = openblas()
    print(f"LIBRARY numpy NumPy {np.__version__}, OpenBLAS {version} ({kernel})", flush=True)
    try:
        from scipy.special import erf
    except ImportError:
        erf = np.vectorize(math.erf, otypes=[np.float32])
    rng = np.random.default_rng(1)
    for ffn, d, f in SHAPES:
        x = rng.standard_normal((TOKENS, d), dtype=np.float32)
        if ffn == "swiglu":
            w_gate = rng.standard_normal((d, f), dtype=np.float32) / math.sqrt(d)
            w_up = rng.standard_normal((d, f), dtype=np.float32) / math.sqrt(d)
            w_down = rng.standard_normal((f, d), dtype=np.float32) / math.sqrt(f)

            def run():
                g = x @ w_gate
                return ((g / (1 + np.exp(-g))) * (x @ w_up)) @ w_down
        else:
            w1 = rng.standard_normal((d, f), dtype=np.float32) / math.sqrt(d)
            w2 = rng.standard_normal((f, d), dtype=np.float32) / math.sqrt(f)

            def run():
                h = x @ w1
                return (0.5 * h * (1 + erf(h * np.float32(1 / math.sqrt(2))))) @ w2
        measure("numpy", ffn, d, f, run)


def torch_baseline():
    try:
        import torch
    except ImportError:
        print("BASELINE-SKIPPED torch not installed", flush=True)
        return
    torch.set_num_threads(THREADS)
    from openblas_probe import openblas
    torch.ones(2, 2) @ torch.ones(2, 2)   # loads BLAS
    version, kernel = openblas()
    blas = f"OpenBLAS {version} ({kernel})" if version != "-" else "its BLAS"
    print(f"LIBRARY torch PyTorch {torch.__version__}, {blas}", flush=True)
    torch.manual_seed(1)
    with torch.no_grad():
        for ffn, d, f in SHAPES:
            x = torch.randn(TOKENS, d)
            if ffn == "swiglu":
                gate = torch.nn.Linear(d, f, bias=False)
                up = torch.nn.Linear(d, f, bias=False)
                down = torch.nn.Linear(f, d, bias=False)

                def run():
                    return down(torch.nn.functional.silu(gate(x)) * up(x))
            else:
                l1 = torch.nn.Linear(d, f, bias=False)
                l2 = torch.nn.Linear(f, d, bias=False)

                def run():
                    return l2(torch.nn.functional.gelu(l1(x)))
            measure("torch", ffn, d, f, run)


if __name__ == "__main__":
    which = os.environ.get("BASELINES", "numpy,torch").split(",")
    if "numpy" in which:
        numpy_baseline()
    if "torch" in which:
        torch_baseline()
