#!/usr/bin/env bash
# ffnbench's FFN kernels vs bare sgemm, NumPy and PyTorch (fp32 CPU) on identical shapes, at 1 and 2
# threads, interleaved round by round; prints one table of tokens/s, GFLOP/s and ratios.
#   scripts/compare-baselines.sh [repeats=3] [tokens=4096]
# Installs Debian's python3-torch (for /usr/bin/python3) when missing and apt-get is usable.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPEATS=${1:-3}
TOKENS=${2:-4096}
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, numpy' 2>/dev/null; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "installing python3-torch (Debian) ..." >&2
    apt-get install -y -qq python3-torch python3-numpy python3-scipy >/dev/null
  else
    echo "note: python3-torch unavailable; PyTorch rows are skipped" >&2
  fi
fi
"$PY" -c 'import numpy' 2>/dev/null || PY=python3
OUT=$(mktemp)
for rep in $(seq "$REPEATS"); do
  for threads in 1 2; do
    echo "round $rep/$REPEATS, $threads thread(s) ..." >&2
    FFNBENCH_BLAS_THREADS=$threads "$ROOT/scripts/benchmark-kernels" 5 "$TOKENS" 2>/dev/null \
      | awk -v th="$threads" -F'|' '/^\| (swiglu|gelu) /{gsub(/ /,"",$2); print "ROW ffnbench", th, $2, $11+0, $8+0, $9+0}' >> "$OUT"
    OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads "$PY" "$ROOT/scripts/baselines.py" 5 "$TOKENS" \
      | awk -v th="$threads" '/^BASELINE /{print "ROW", $2, th, $3, $8, $9, "-"}' >> "$OUT"
  done
done
python3 - "$OUT" "$TOKENS" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    _, fw, th, ffn, tps, gf, gemm = line.split()
    rows[(ffn, int(th), fw)].append((float(tps), float(gf), gemm))
print(f"tokens per run: {sys.argv[2]}; medians over rounds; 'sgemm' = bare OpenBLAS sgemm of the FFN's GEMM shapes in the same JVM")
print("| ffn | threads | ffnbench tokens/s | ffnbench GFLOP/s | ffnbench / sgemm GFLOP/s | NumPy tokens/s | PyTorch tokens/s | vs NumPy | vs PyTorch |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for ffn in ("swiglu", "gelu"):
    for th in (1, 2):
        med = lambda fw, i: statistics.median(r[i] for r in rows[(ffn, th, fw)]) if rows[(ffn, th, fw)] else float("nan")
        ours, ours_gf = med("ffnbench", 0), med("ffnbench", 1)
        sgemm = statistics.median(float(r[2]) for r in rows[(ffn, th, "ffnbench")]) if rows[(ffn, th, "ffnbench")] else float("nan")
        np_, pt = med("numpy", 0), med("torch", 0)
        print(f"| {ffn} | {th} | {ours:,.0f} | {ours_gf:.1f} | {ours_gf / sgemm:.3f} | {np_:,.0f} | {pt:,.0f} | {ours / np_:.2f}x | {ours / pt:.2f}x |")
PY
rm -f "$OUT"
