"""The Gaussian simulator in Python with faults, for the bridge's tests (models/cpp/faulty.cpp's twin):
  faulty.py die-after N     is killed (SIGKILL) in its N-th run
  faulty.py stall-after N   stops answering in its N-th run
  faulty.py garbage         asks for a distribution the runtime does not have
  faulty.py throw           raises in its first run (a simulator's own error)
With no arguments it is the plain Gaussian simulator; --concurrent-runs N (last) serves N runs at the
same time, the faults counting runs over all of them."""
import math
import os
import signal
import sys
import threading
import time

import probe

concurrent = int(sys.argv[sys.argv.index("--concurrent-runs") + 1]) if "--concurrent-runs" in sys.argv else 1
mode = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "--concurrent-runs" else ""
after = int(sys.argv[2]) if mode and len(sys.argv) > 2 else 0
runs = 0
counting = threading.Lock()


def faulty():
    global runs
    with counting:
        runs += 1
        run = runs
    if mode == "garbage":
        probe.sample(probe.Distribution("Garbage", [1.0]), "mu")
    if mode == "throw":
        raise RuntimeError("the detector geometry file is missing")
    mu = probe.sample(probe.Normal(1, math.sqrt(5)), "mu")
    if mode == "die-after" and run == after:
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "stall-after" and run == after:
        time.sleep(3600)
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs0")
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs1")
    return mu


if __name__ == "__main__":
    sys.exit(probe.serve("faulty-gaussian", "1.0", faulty, concurrent_runs=concurrent))
