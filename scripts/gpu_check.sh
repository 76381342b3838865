#!/usr/bin/env bash
# The GPU checks of issue 8 as one prepared run, for a session lent a GPU machine (the
# device tool; 15 minutes of device time, all tries together): the sync check
# (tests/test_no_sync.py under torch.cuda.set_sync_debug_mode("error")), the test matrix
# on cupy and torch-CUDA (what `nox -s gpu` runs), and the cupy / torch-CUDA benchmark.
# Each step is bounded (about 9 minutes in all); logs land in $OUT.
#
# That machine reaches no registry, and its Python (3.12, with torch, cupy, jax, pytest,
# xdist, hypothesis, scipy, mpmath) lacks array-api-compat: carry it as a wheel. Here, in
# the repository's root (/.whl/ is in .gitignore):
#   python3 -m pip download --no-deps --only-binary=:all: -d .whl array-api-compat==1.16.0
# then call the device tool's run with
#   command="bash scripts/gpu_check.sh", carry=[".whl"], timeout_s=600
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/anyloss-gpu}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src:$PWD PYTHONUNBUFFERED=1 KERAS_BACKEND=jax
PYTEST=(python3 -m pytest -q -p no:cacheprovider)
{
    nvidia-smi -L
    python3 -c "import sys, torch, cupy, jax; print(sys.version); print('torch', torch.__version__, 'cupy', cupy.__version__, 'jax', jax.__version__)"
} 2>&1 | tee "$OUT/machine.txt"

echo "== sync check" | tee "$OUT/sync.log"
timeout 120 "${PYTEST[@]}" -rs tests/test_no_sync.py 2>&1 | tail -40 | tee -a "$OUT/sync.log"

echo "== matrix on cupy and torch-CUDA" | tee "$OUT/matrix.log"
ANYLOSS_BACKENDS=cupy,torch-cuda timeout 300 "${PYTEST[@]}" -n 12 -m "not consistency and not scale" \
    --ignore tests/test_native.py --ignore tests/test_docs.py --ignore tests/scale \
    2>&1 | tail -60 | tee -a "$OUT/matrix.log"

echo "== benchmark (cupy, torch-CUDA)" | tee "$OUT/bench.log"
timeout 150 python3 benchmarks/bench.py --mode cupy --mode torch-cuda --budget 0.05 --no-write \
    > "$OUT/bench.md" 2>> "$OUT/bench.log"
echo "bench exit $?" | tee -a "$OUT/bench.log"
