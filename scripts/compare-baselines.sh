#!/usr/bin/env bash
# ffnbench's FFN kernels against their peers on identical shapes (SwiGLU d=1024/d_ff=2816 and GELU
# d=768/d_ff=3072, fp32, CPU), at 1 and 2 threads, interleaved round by round:
#   - ffnbench (scripts/benchmark-kernels), and the bare sgemm of the same GEMM shapes in the same JVM;
#   - NumPy 2.x with its own OpenBLAS (the python3 on PATH, e.g. pyenv's);
#   - PyTorch 2.7 (CPU) through DJL, the JVM route to PyTorch on a Spark executor (jobs/peers, built with
#     -Ppeers; the first build downloads libtorch, 112 MB);
#   - Debian's PyTorch 1.13 (/usr/bin/python3; python3-torch is installed when missing and apt-get is usable).
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for this benchmark only, so every OpenBLAS picks its
# kernel for this CPU. Prints the CPU and its FMA peak per core (scripts/fma_peak.c), what each peer runs
# on, and one Markdown table of medians (docs/PERFORMANCE.md, "Against its peers").
#   scripts/compare-baselines.sh [repeats=3] [tokens=4096]
set -euo pipefail
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${1:-3}
TOKENS=${2:-4096}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

DEBIAN_PY=/usr/bin/python3
if ! "$DEBIAN_PY" -c 'import torch' 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing python3-torch (Debian) ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy python3-scipy >/dev/null
  else
    echo "note: Debian's python3-torch is unavailable; its column stays empty" >&2
  fi
fi
python3 -c 'import numpy, sys; sys.exit(int(numpy.__version__.split(".")[0]) < 2)' \
  || echo "note: the python3 on PATH has NumPy $(python3 -c 'import numpy; print(numpy.__version__)'), not 2.x" >&2

echo "building ffnbench and the DJL peer ..." >&2
"$ROOT/scripts/ffnbench" --version >/dev/null 2>&1
(cd "$ROOT" && mvn -B -q -Ppeers -pl jobs/peers package -DskipTests) >/dev/null
DJL_CP="$ROOT/jobs/peers/target/classes:$(cat "$ROOT/jobs/peers/target/peers-classpath.txt")"
gcc -O3 -march=native -o "$OUT/fma_peak" "$ROOT/scripts/fma_peak.c"

for rep in $(seq "$REPEATS"); do
  for threads in 1 2; do
    echo "round $rep/$REPEATS, $threads thread(s) ..." >&2
    FFNBENCH_BLAS_THREADS=$threads "$ROOT/scripts/benchmark-kernels" 5 "$TOKENS" 2>/dev/null \
      | awk -v th="$threads" -F'|' '/^BLAS: /{print "LIBRARY ffnbench", substr($0, 7)}
          /^\| (swiglu|gelu) /{gsub(/ /,"",$2); print "ROW ffnbench", th, $2, $11+0, $10+0}' >> "$OUT/rows"
    export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
    BASELINES=numpy python3 "$ROOT/scripts/baselines.py" 5 "$TOKENS" \
      | awk -v th="$threads" '/^LIBRARY /{print} /^BASELINE /{print "ROW numpy", th, $3, $8, "-"}' >> "$OUT/rows"
    java -Dai.djl.offline=true -DDJL_CACHE_DIR="$ROOT/jobs/peers/target/djl-cache" \
         -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
         -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$DJL_CP" ffnbench.peers.DjlFfnBaseline 5 "$TOKENS" \
      | awk -v th="$threads" '/^ENGINE /{print "LIBRARY torch-djl", $2, $3, "(libtorch with its MKL)"}
          /^BASELINE /{print "ROW torch-djl", th, $3, $8, "-"}' >> "$OUT/rows"
    if "$DEBIAN_PY" -c 'import torch' 2>/dev/null; then
      BASELINES=torch "$DEBIAN_PY" "$ROOT/scripts/baselines.py" 5 "$TOKENS" \
        | awk -v th="$threads" '/^LIBRARY /{print "LIBRARY torch-debian", substr($0, 15)}
            /^BASELINE /{print "ROW torch-debian", th, $3, $8, "-"}' >> "$OUT/rows"
    fi
    unset OPENBLAS_NUM_THREADS OMP_NUM_THREADS MKL_NUM_THREADS
  done
  "$OUT/fma_peak" | awk '{print "PEAK", $2, $3}' >> "$OUT/rows"
done

python3 - "$OUT/rows" "$TOKENS" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" <<'PY'
import collections, re, statistics, sys
path, tokens, cpu = sys.argv[1], int(sys.argv[2]), sys.argv[3].strip()
rows, libraries, peaks = collections.defaultdict(list), {}, []
for line in open(path):
    w = line.split()
    if w[0] == "LIBRARY":
        libraries.setdefault(w[1], re.sub(r", \d+ threads?$", "", " ".join(w[2:])))
    elif w[0] == "PEAK":
        isa = w[1]; peaks.append(float(w[2]))
    elif w[0] == "ROW":
        rows[(w[1], int(w[2]), w[3])].append((float(w[4]), float(w[5]) if w[5] != "-" else None))
peak = statistics.median(peaks)
# the GEMMs' FLOPs per token, 2·d·(width in) + 2·d_ff·d: what the FMA peak bounds
gemm_flops = {"swiglu": 2 * 1024 * 2 * 2816 + 2 * 2816 * 1024, "gelu": 2 * 768 * 3072 + 2 * 3072 * 768}
peers = [("numpy", "NumPy"), ("torch-djl", "PyTorch (DJL)"), ("torch-debian", "PyTorch (Debian)")]
print(f"CPU: {cpu}; float32 FMA peak of one core ({isa}, scripts/fma_peak.c): {peak:.0f} GFLOP/s")
print(f"{tokens} tokens per call; medians of {len(peaks)} interleaved rounds; OPENBLAS_CORETYPE unset")
for name in ["ffnbench"] + [p for p, _ in peers]:
    print(f"- {name}: {libraries.get(name, 'not run')}")
print()
print("| ffn | threads | ffnbench tokens/s | GEMM GFLOP/s of FMA peak | ffnbench / bare sgemm | "
      + " | ".join(f"{label} tokens/s" for _, label in peers) + " | "
      + " | ".join(f"ffnbench / {label}" for _, label in peers) + " |")
print("|---|---:|" + "---:|" * (3 + 2 * len(peers)))
median = lambda xs: statistics.median(xs) if xs else float("nan")
for ffn in ("swiglu", "gelu"):
    for th in (1, 2):
        ours = median([r[0] for r in rows[("ffnbench", th, ffn)]])
        vs_sgemm = median([r[1] for r in rows[("ffnbench", th, ffn)]])
        of_peak = ours * gemm_flops[ffn] / 1e9 / (peak * th)
        theirs = [median([r[0] for r in rows[(p, th, ffn)]]) for p, _ in peers]
        print(f"| {ffn} | {th} | {ours:,.0f} | {100 * of_peak:.0f}% | {vs_sgemm:.3f} | "
              + " | ".join(f"{t:,.0f}" for t in theirs) + " | "
              + " | ".join(f"{ours / t:.2f}×" for t in theirs) + " |")
PY
