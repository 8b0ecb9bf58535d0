#!/usr/bin/env bash
# Issue 5's GPU checks in one command, on an NVIDIA GPU machine (see ../shared/gpu/README.md):
#
#   1. tests  the WebGPU suite in Node through Dawn (dist/test/backend/webgpu.test.js: the shared
#             conformance suite and the webgpu-specific cases, which run in Node whenever
#             initWebGpu() finds an adapter; the headless-Chromium half is switched off here)
#   2. gemm   node dist/bench/webgpu-gemm.js  (GEMM TFLOP/s at 1024..8192 vs cuBLAS fp32, TF32 off)
#   3. bench  node dist/bench/gpu.js          (mlp-train, cnn-train at their batch and at 1024,
#             descent webgpu vs PyTorch CUDA)
#
#   bash bench/gpu-run.sh [tests] [gemm] [bench]     (default: all three, in that order)
#
# Nothing is built or installed here: build where Node and npm are (npx tsc -p tsconfig.json,
# ../shared/gpu/prepare.sh for .gpu/), then carry .gpu, dist/src, dist/test, dist/bench and
# node_modules/webgpu/{index.js,package.json,dist/linux-x64}. If node is not on PATH, this
# script sources .gpu/setup.sh itself. With $OUT set, everything printed also goes to
# $OUT/gpu-run.log, the test report to $OUT/webgpu-tests.log and bench rows to $OUT/gpu.json.
# Each step has a time limit (TESTS_TIMEOUT, GEMM_TIMEOUT, BENCH_TIMEOUT seconds); the exit
# status is 0 only when every step passed (tests: only when the Node GPU suite ran and passed).
# The three limits add up to 540 s, under the device tool's 600 s per command.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1; then
  if [ -f .gpu/setup.sh ]; then
    # shellcheck disable=SC1091
    source .gpu/setup.sh
  else
    echo "gpu-run.sh: node is not on PATH and .gpu/setup.sh is missing (run ../shared/gpu/prepare.sh where Node is, and carry .gpu)" >&2
    exit 1
  fi
fi

out=${OUT:-}
if [ -n "$out" ]; then
  mkdir -p "$out"
  exec > >(tee "$out/gpu-run.log") 2>&1
  tee_pid=$!
fi

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(tests gemm bench)

for f in dist/bench/gpu.js dist/bench/webgpu-gemm.js dist/test/backend/webgpu.test.js; do
  if [ ! -f "$f" ]; then
    echo "gpu-run.sh: $f is missing: build first (npx tsc -p tsconfig.json) and carry dist/" >&2
    exit 1
  fi
done

echo "== $(date -u +%FT%TZ) $(uname -m), node $(node --version)"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>/dev/null ||
  echo "nvidia-smi unavailable"

declare -A status=()

run_step() { # name, timeout seconds, command...
  local name=$1 limit=$2
  shift 2
  echo
  echo "== $name: $* (limit ${limit}s)"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  [ $rc -eq 124 ] && echo "== $name: timed out after ${limit}s"
  echo "== $name: exit $rc in $((SECONDS - t0))s"
  status[$name]=$rc
}

for step in "${steps[@]}"; do
  case $step in
    tests)
      # The Chromium half of webgpu.test.js needs playwright-core and a browser, neither of
      # which travels: pointing DESCENT_CHROMIUM at nothing makes it skip, leaving the Node half.
      log=${out:-/tmp}/webgpu-tests.log
      DESCENT_CHROMIUM=/nonexistent run_step tests "${TESTS_TIMEOUT:-240}" \
        node scripts/run-tests.mjs backend/webgpu.test.js >"$log" 2>&1
      rc=${status[tests]}
      # the end of the report: failures, if any, then the summary line "N passed, N failed"
      tail -n 60 "$log"
      if ! grep -q "webgpu in Node" "$log"; then
        echo "== tests: the Node GPU suite did not run (initWebGpu() found no adapter): counted as a failure"
        [ "$rc" -eq 0 ] && rc=1
      fi
      status[tests]=$rc
      ;;
    gemm) run_step gemm "${GEMM_TIMEOUT:-150}" node dist/bench/webgpu-gemm.js ;;
    bench)
      run_step bench "${BENCH_TIMEOUT:-150}" node dist/bench/gpu.js ${out:+--json-out="$out/gpu.json"}
      ;;
    *)
      echo "gpu-run.sh: unknown step '$step' (tests, gemm, bench)" >&2
      status[$step]=2
      ;;
  esac
done

echo
fail=0
for step in "${steps[@]}"; do
  echo "== $step: exit ${status[$step]}"
  [ "${status[$step]}" -eq 0 ] || fail=1
done
if [ -n "$out" ]; then
  exec >&- 2>&- # let tee write the end of the log before the script exits
  wait "$tee_pid"
fi
exit $fail
