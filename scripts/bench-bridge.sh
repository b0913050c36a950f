#!/bin/sh
# Gaussian runs per second over the simulator bridge, every model source in one run, side by side
# (docs/benchmarks.md, "A faster bridge"): 2 C++ simulators under is, self-drawn and round trip;
# the PPX adapter on the project's Python PPX simulator; the Python client, both ways.
# Needs a built checkout (cli/target/probe-cli.jar), cmake and g++, flatc and python3-zmq,
# python3-flatbuffers, python3-grpcio, python3-protobuf, python3-numpy.
#   scripts/bench-bridge.sh [TRACES]        (default 200000 for C++, a tenth for Python and PPX)
# PYTHON names the interpreter that has those packages (default Debian's /usr/bin/python3).
set -eu
cd "$(dirname "$0")/.."
N=${1:-200000}
SMALL=$((N / 10))
PY=${PYTHON:-/usr/bin/python3}
cmake -S models/cpp -B build/cpp -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/cpp -j 2 >/dev/null
flatc --python -o build/ppx-python bridges/src/main/flatbuffers/ppx.fbs
OBS="--observe obs0=8 --observe obs1=9 --seed 1 --json --quiet"

rate() { # label traces args...: one inference, its runs/s from the JSON's seconds
  label=$1 traces=$2
  shift 2
  secs=$(./probe infer "$@" $OBS --traces "$traces" | python3 -c 'import json, sys; print(json.load(sys.stdin)["seconds"])')
  python3 -c "print('%-48s %9d traces %8.2f s %10.0f runs/s' % ('$label', $traces, $secs, $traces / $secs))"
}

rate "2 C++ simulators, is, self-drawn (--self-draw)" "$N" --simulator build/cpp/gaussian --workers 2 --self-draw
rate "2 C++ simulators, is, round trip" "$SMALL" --simulator build/cpp/gaussian --workers 2
rate "2 Python simulators, is, self-drawn" "$SMALL" --simulator "$PY models/python/gaussian.py" --workers 2 --self-draw
rate "2 Python simulators, is, round trip" "$SMALL" --simulator "$PY models/python/gaussian.py" --workers 2
rate "2 PPX simulators (Python), is, PPX adapter" "$SMALL" \
  --simulator "env PYTHONPATH=build/ppx-python $PY tests/src/test/python/ppx_simulator.py gaussian" --protocol ppx --workers 2
