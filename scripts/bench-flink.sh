#!/usr/bin/env bash
# The Flink backend against the local one (docs/benchmarks.md, "The Flink backend: scaling"):
#  1. a simulator whose run costs 20 ms of waiting (build/cpp/faulty sleep 20), K = 1, 2, 4, 8 of
#     them: locally --workers K, on the cluster --threads K (a slot each, --workers-per-slot 1);
#     BLOCKS (default 1) blocks of 1,024 runs per simulator; and one run alone, the fixed cost of a
#     command (JVM, model, simulator start; on the cluster, a job);
#  2. the job's own timeline from the REST endpoint: submission to the first task running, and
#     the tasks' span;
#  3. builtin:gaussian (CPU-bound), TRACES runs, local and on the cluster.
# Needs a built checkout, cmake and g++, and a running cluster with at least 8 slots:
#   PROBE_FLINK_SLOTS=4 scripts/flink-cluster.sh start
#   scripts/bench-flink.sh [TRACES]      (default 10000000; PROBE_FLINK_PORT and PROBE_FLINK_DIR as for the cluster)
# Prints one line per command: backend, K, runs, the JSON's seconds, wall seconds, the driver's
# CPU seconds (user + sys) and the cluster's (the JobManager's and TaskManagers' JVMs, from /proc).
set -euo pipefail
cd "$(dirname "$0")/.."
TRACES=${1:-10000000}
port=${PROBE_FLINK_PORT:-8081}
dir=${PROBE_FLINK_DIR:-flink/target/cluster}
cmake -S models/cpp -B build/cpp -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cpp --target faulty >/dev/null
SIM="$PWD/build/cpp/faulty sleep 20"
OBS=(--observe obs0=8 --observe obs1=9 --seed 1 --json --quiet)

cluster_cpu() { # CPU seconds of the cluster's JVMs so far
  local t=0
  for p in "$dir"/pids/*.pid; do
    t=$((t + $(awk '{print $14 + $15}' "/proc/$(cat "$p")/stat" 2>/dev/null || echo 0)))
  done
  echo "$t $(getconf CLK_TCK)" | awk '{printf "%.1f", $1 / $2}'
}

one() { # label K runs args...: one command, its figures on one line
  local label=$1 k=$2 n=$3
  shift 3
  local before after out
  before=$(cluster_cpu)
  out=$( { /usr/bin/time -f "TIME %e %U %S" ./probe infer "$@" "${OBS[@]}" --traces "$n" > /tmp/bench-flink.json; } 2>&1 | grep TIME)
  after=$(cluster_cpu)
  python3 - "$label" "$k" "$n" "$before" "$after" $out <<'PY'
import json, sys
label, k, n, before, after = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
wall, user, sys_ = map(float, sys.argv[7:10])
secs = json.load(open("/tmp/bench-flink.json"))["seconds"]
mean = json.load(open("/tmp/bench-flink.json"))["variables"]["mu"]["mean"]
print("%-8s K=%d runs=%9d seconds=%8.2f wall=%8.2f driver_cpu=%7.1f cluster_cpu=%7.1f mean_mu=%r" % (label, k, n, secs, wall, user + sys_, after - before, mean))
PY
}

timeline() { # the last job's submission to first task, and its tasks' span (ms)
  curl -s "http://localhost:$port/jobs/overview" | python3 -c '
import json, sys, urllib.request
jobs = sorted(json.load(sys.stdin)["jobs"], key=lambda j: j["start-time"])
j = json.load(urllib.request.urlopen("http://localhost:'"$port"'/jobs/" + jobs[-1]["jid"]))
first = min(v["start-time"] for v in j["vertices"] if v["start-time"] > 0)
# A vertex not yet marked finished reports end-time -1 (the REST view lags the job): its span is
# then the end of the job, and with neither known the span is not printed rather than negative.
ends = [v["end-time"] for v in j["vertices"] if v["end-time"] > 0]
last = max(ends) if len(ends) == len(j["vertices"]) else j.get("end-time", -1)
span = "%d ms" % (last - first) if last >= first else "n/a (not finished when read)"
print("         job: submitted -> first task %d ms, tasks %s, end -> result read by driver n/a" % (first - j["start-time"], span))'
}

# The fixed cost: one run (one simulator started, one job on the cluster).
one local 1 1 --simulator "$SIM" --workers 1
one flink 1 1 --simulator "$SIM" --backend flink --flink "localhost:$port" --threads 1
timeline
for k in 1 2 4 8; do
  n=$((k * ${BLOCKS:-1} * 1024))
  one local "$k" "$n" --simulator "$SIM" --workers "$k"
  one flink "$k" "$n" --simulator "$SIM" --backend flink --flink "localhost:$port" --threads "$k" --workers-per-slot 1
  timeline
done
one local 0 "$TRACES" builtin:gaussian
one flink 0 "$TRACES" builtin:gaussian --backend flink --flink "localhost:$port"
timeline
