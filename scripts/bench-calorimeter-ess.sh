#!/bin/sh
# ESS per CPU second of `is` and of network-guided `smc-tempered` on the C++ calorimeter, measured
# the same way for every engine (docs/benchmarks.md, "ESS per CPU second on the calorimeter,
# like for like"): each setting runs at seeds 1..SEEDS on one observation, and
# scripts/calorimeter_ess.py turns the spread of its posterior means around a reference into an
# effective sample size, ESS = (posterior variance) / (mean squared error of the posterior mean).
#
#   scripts/bench-calorimeter-ess.sh OUT [SEEDS] [SETTINGS...]
#
# OUT keeps every run's JSON and /usr/bin/time figures; a run already there is not repeated, so an
# interrupted measurement resumes, and SEEDS can be raised later. SETTINGS (default: is smc100
# smc300) are names from the table below; settings interleave seed by seed, so a change in the
# machine's load falls on all of them alike. The network is NET (default OUT/net200k), trained
# here when absent (probe compile, 200,000 self-drawn runs, seed 1: about 150 CPU s). CPU seconds
# are user + sys of the whole process tree (the JVM and its two simulators, which it waits for),
# start-up included; STARTUP_RUNS (default 2) inferences of 2 runs or particles per engine measure
# the start-up. OBS_RUN=1 takes the sample's other run as the observation (use another OUT).
# The analysis alone: python3 scripts/calorimeter_ess.py OUT.
set -eu
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/bench-calorimeter-ess.sh OUT [SEEDS] [SETTINGS...]}
SEEDS=${2:-12}
[ $# -ge 2 ] && shift 2 || shift $#
SETTINGS=${*:-is smc100 smc300}
NET=${NET:-$OUT/net200k}
STARTUP_RUNS=${STARTUP_RUNS:-2}
mkdir -p "$OUT"

# The options of each setting (the engine's own; --seed, the model and the observation are added).
options() {
  case $1 in
    is) echo "--engine is --traces ${IS_RUNS:-10000}" ;;
    is1k) echo "--engine is --traces 1000" ;;
    smc100) echo "--engine smc-tempered --network $NET --particles 100" ;;
    smc300) echo "--engine smc-tempered --network $NET --particles 300" ;;
    smc300r1) echo "--engine smc-tempered --network $NET --particles 300 --rejuvenate 1 --max-rounds 4" ;;
    smc1000r1) echo "--engine smc-tempered --network $NET --particles 1000 --rejuvenate 1 --max-rounds 3" ;;
    smc100j3) echo "--engine smc-tempered --network $NET --particles 100 --jump 3 --max-rounds 30" ;;
    prior100) echo "--engine smc-tempered --particles 100" ;;
    *) echo "unknown setting '$1' in scripts/bench-calorimeter-ess.sh: add it to options()" >&2; exit 2 ;;
  esac
}

[ -x build/cpp/calorimeter ] || { cmake -S models/cpp -B build/cpp >/dev/null && cmake --build build/cpp -j 2 --target calorimeter >/dev/null; }
[ -f cli/target/probe-cli.jar ] || { echo "build Probe first: mvn -B -q -DskipTests package" >&2; exit 2; }
SIM=build/cpp/calorimeter

# The observation: the image of run OBS_RUN (default 0) of `probe sample --simulator build/cpp/calorimeter -n 2 --seed 11`.
if [ ! -f "$OUT/image.json" ]; then
  ./probe sample --simulator $SIM -n 2 --seed 11 2>/dev/null > "$OUT/sample.jsonl"
  python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readlines()[int(sys.argv[3])]); json.dump({"image": r["variables"]["image"]}, open(sys.argv[2], "w"))' \
    "$OUT/sample.jsonl" "$OUT/image.json" "${OBS_RUN:-0}"
fi
if [ ! -f "$NET/network.json" ]; then
  ./probe compile --simulator $SIM --workers 2 --traces 200000 --seed 1 --self-draw --out "$NET"
fi

run() { # name seed options...
  name=$1 seed=$2; shift 2
  [ -s "$OUT/$name-s$seed.json" ] && return 0
  /usr/bin/time -f '%e %U %S' -o "$OUT/$name-s$seed.time" ./probe infer --simulator $SIM --workers 2 --threads 2 \
    --observations "$OUT/image.json" --json --quiet --seed "$seed" "$@" > "$OUT/$name-s$seed.tmp"
  mv "$OUT/$name-s$seed.tmp" "$OUT/$name-s$seed.json"
  uptime | sed 's/.*load average: //' > "$OUT/$name-s$seed.load"
  echo "$name seed $seed: $(cat "$OUT/$name-s$seed.time") (wall, user, sys s); load $(cat "$OUT/$name-s$seed.load")"
}

for i in $(seq "$STARTUP_RUNS"); do
  run startup-is "$i" --engine is --traces 2
  run startup-smc "$i" --engine smc-tempered --network "$NET" --particles 2 --rejuvenate 0 --max-rounds 0
done
for seed in $(seq "$SEEDS"); do
  for s in $SETTINGS; do
    run "$s" "$seed" $(options "$s")
  done
done
python3 scripts/calorimeter_ess.py "$OUT"
