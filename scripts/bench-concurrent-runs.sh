#!/bin/sh
# Gaussian runs per second under rmh, where the runtime decides every choice, with C++ simulators
# serving 1, 4 or 8 runs at the same time on their connection (--concurrent-runs N:
# capability concurrent-runs:N), at 1 and 2 simulators (docs/benchmarks.md, "Several runs at once
# per simulator"). Rounds interleave the settings; each line gives the wall time of the inference
# (the JSON's seconds), the MH steps a second (one model run each), the CPU seconds (user + sys) of
# the whole process tree (the JVM and its simulators, start-up included) and the posterior mean,
# which is the same on every line (one seed).
#   scripts/bench-concurrent-runs.sh [TRACES] [ROUNDS]     (default 8000 kept samples, 2 rounds)
set -eu
cd "$(dirname "$0")/.."
N=${1:-8000}
ROUNDS=${2:-2}
cmake -S models/cpp -B build/cpp -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cpp -j 2 >/dev/null
out=$(mktemp) times=$(mktemp)
trap 'rm -f "$out" "$times"' EXIT
printf '%-6s %-8s %-11s %8s %9s %8s %9s\n' round workers concurrent seconds steps/s "CPU s" "mean mu"
for round in $(seq "$ROUNDS"); do
  for workers in 1 2; do
    for c in 1 4 8; do
      /usr/bin/time -f '%U %S' -o "$times" ./probe infer --simulator "build/cpp/gaussian --concurrent-runs $c" \
        --workers "$workers" --engine rmh --chains 16 --burn-in 100 --traces "$N" --seed 1 \
        --observe obs0=8 --observe obs1=9 --json --quiet >"$out"
      python3 - "$out" "$times" "$round" "$workers" "$c" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
user, sys_ = map(float, open(sys.argv[2]).read().split()[-2:])
steps = d["traces"] * d["thin"] + d["chains"] * d["burn_in"]
print('%-6s %-8s %-11s %8.2f %9.0f %8.1f %9.4f' % (sys.argv[3], sys.argv[4], sys.argv[5], d["seconds"], steps / d["seconds"],
      user + sys_, d["variables"]["mu"]["mean"]))
PY
    done
  done
done
