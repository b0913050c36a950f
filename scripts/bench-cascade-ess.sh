#!/bin/sh
# ESS per CPU second of `is` and `ic` on models/scripts/cascade.ppl with issue 14's observation
# (docs/benchmarks.md, "ic against is on cascade.ppl, like for like"), two ways: Kish's ESS as
# `probe infer` prints it, and the ESS of each engine's posterior means measured from their spread
# over seeds (scripts/calorimeter_ess.py), which also holds when the weights' tail makes Kish's
# figure unreliable (Pareto k-hat above 0.7: `is` here has 2.7).
#
#   scripts/bench-cascade-ess.sh OUT [SEEDS] [SETTINGS...]
#
# Each setting runs at seeds 1..SEEDS, settings interleaved seed by seed; a run already in OUT is
# not repeated. SETTINGS (default: is ic) are names from the table below (icmix: ic with
# --prior-mix PRIOR_MIX, default 0.02, defensive importance sampling; icw, ic2w, ic3w: ic, ic2, ic3
# with --widen WIDEN, default 1.2; icd, ic2d, ic3d: with --defensive DEFENSIVE, default 0.2); a name ending in v runs
# with the Vector API's module (ic's step in SIMD vectors, docs/inference-compilation.md). The network is NET
# (default OUT/net), trained here when absent (`probe compile`, 1,700,000 runs, --lstm-hidden 32
# --batch-size 128 --learning-rate 0.002 --recurrence call-tree, seed 1: 253 s on 2 quiet cores;
# with FOCUS=0.1, in OUT/net-focus0.1, FOCUS_RUNS runs focused on the observation, default 2,100,000,
# then WAKE_RUNS (default 1,000,000; 0 for none) drawn by the network at the observation
# (compile --wake): 263-287 s on 2 cores (3,200,000 focused runs alone took 272-308 s with the Java
# training pass; 3,600,000 took 274-297 s in two halves and bought no more); with the native pass 1,200,000 fit
# five minutes on a host training 4,400-4,900 traces/s, 1,600,000 on one training 5,800); ic2 and ic3
# run other networks, NET2 and NET3. CPU seconds are user + sys of the whole command, JVM
# start-up and JIT compilation included (nothing is subtracted).
set -eu
cd "$(dirname "$0")/.."
OUT=${1:?usage: scripts/bench-cascade-ess.sh OUT [SEEDS] [SETTINGS...]}
SEEDS=${2:-12}
[ $# -ge 2 ] && shift 2 || shift $#
SETTINGS=${*:-is ic}
if [ -n "${FOCUS:-}" ]; then NET=${NET:-$OUT/net-focus$FOCUS}; else NET=${NET:-$OUT/net}; fi
MODEL=models/scripts/cascade.ppl
mkdir -p "$OUT"

options() {
  case $1 in
    is) echo "--engine is --traces ${IS_RUNS:-1000000}" ;;
    ic) echo "--engine ic --network $NET --traces ${IC_RUNS:-150000}" ;;
    ic2) echo "--engine ic --network ${NET2:?ic2 runs the network in NET2} --traces ${IC_RUNS:-150000}" ;;
    ic3) echo "--engine ic --network ${NET3:?ic3 runs the network in NET3} --traces ${IC_RUNS:-150000}" ;;
    icmix) echo "--engine ic --network $NET --traces ${IC_RUNS:-150000} --prior-mix ${PRIOR_MIX:-0.02}" ;;
    icw|ic2w|ic3w) echo "$(options "${1%w}") --widen ${WIDEN:-1.2}" ;;
    icd|ic2d|ic3d) echo "$(options "${1%d}") --defensive ${DEFENSIVE:-0.2}" ;;
    is2m) echo "--engine is --traces 2000000" ;;
    ic600k|ic600kv) echo "--engine ic --network $NET --traces 600000" ;;
    *) echo "unknown setting '$1' in scripts/bench-cascade-ess.sh: add it to options()" >&2; exit 2 ;;
  esac
}

[ -f cli/target/probe-cli.jar ] || { echo "build Probe first: mvn -B -q -DskipTests package" >&2; exit 2; }

# The observation: the calorimeter of run 1 of `probe sample models/scripts/cascade.ppl -n 2 --seed 11`.
if [ ! -f "$OUT/obs.json" ]; then
  ./probe sample $MODEL -n 2 --seed 11 2>/dev/null > "$OUT/sample.jsonl"
  python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readlines()[1]); json.dump({"calorimeter": r["variables"]["calorimeter"]}, open(sys.argv[2], "w"))' \
    "$OUT/sample.jsonl" "$OUT/obs.json"
fi
if [ ! -f "$NET/network.json" ]; then
  # Training seed 1 (other seeds by hand, as docs/benchmarks.md did).
  if [ -n "${FOCUS:-}" ]; then
    set -- --traces "${FOCUS_RUNS:-2100000}" --observations "$OUT/obs.json" --focus "$FOCUS"
    [ "${WAKE_RUNS:-1000000}" = 0 ] || set -- "$@" --wake "${WAKE_RUNS:-1000000}"
  else
    set -- --traces 1700000
  fi
  /usr/bin/time -f '%e %U %S' -o "$OUT/train.time" \
    ./probe compile $MODEL "$@" --lstm-hidden 32 --batch-size 128 --learning-rate 0.002 \
      --recurrence call-tree --seed 1 \
      --out "$NET"
  echo "training: $(cat "$OUT/train.time") (wall, user, sys s)"
fi

run() { # name seed options...
  name=$1 seed=$2; shift 2
  [ -s "$OUT/$name-s$seed.json" ] && return 0
  case $name in *v) jvm="--add-modules jdk.incubator.vector" ;; *) jvm= ;; esac
  PROBE_JAVA_OPTS="$jvm" /usr/bin/time -f '%e %U %S' -o "$OUT/$name-s$seed.time" ./probe infer $MODEL \
    --observations "$OUT/obs.json" --json --quiet --seed "$seed" "$@" > "$OUT/$name-s$seed.tmp" 2> "$OUT/$name-s$seed.err"
  mv "$OUT/$name-s$seed.tmp" "$OUT/$name-s$seed.json"
  uptime | sed 's/.*load average: //' > "$OUT/$name-s$seed.load"
  echo "$name seed $seed: $(cat "$OUT/$name-s$seed.time") (wall, user, sys s); load $(cat "$OUT/$name-s$seed.load")"
}

for seed in $(seq "$SEEDS"); do
  for s in $SETTINGS; do
    run "$s" "$seed" $(options "$s")
  done
done
# Kish's ESS per CPU second, seed by seed and pooled.
python3 - "$OUT" $SETTINGS <<'PY'
import glob, json, os, re, sys
out, settings = sys.argv[1], sys.argv[2:]
rates = {}
for s in settings:
    ess = cpu = 0.0
    for path in sorted(glob.glob(os.path.join(out, s + "-s*.json"))):
        if not re.fullmatch(re.escape(s) + r"-s\d+\.json", os.path.basename(path)):
            continue
        d = json.load(open(path))
        wall, user, sys_ = (float(x) for x in open(path[:-5] + ".time").read().split()[-3:])
        ess += d["ess"]
        cpu += user + sys_
    if cpu:
        rates[s] = ess / cpu
        print(f"{s}: Kish ESS per CPU s {ess / cpu:.2f} (total ESS {ess:.1f} over {cpu:.1f} CPU s)")
for s in rates:
    for base in ("is", "is2m"):
        if s.startswith("ic") and base in rates:
            print(f"{s} over {base}, Kish: {rates[s] / rates[base]:.1f} times")
PY
refs=$(echo $SETTINGS | tr ' ' '\n' | grep '^ic' | paste -sd, -)
for base in is is2m; do
  case " $SETTINGS " in *" $base "*) python3 scripts/calorimeter_ess.py "$OUT" --latents energy,particles --reference "$refs" --base $base ;; esac
done
