"""The Gaussian simulator in Python with faults, for the bridge's tests (models/cpp/faulty.cpp's twin):
  faulty.py die-after N     is killed (SIGKILL) in its N-th run
  faulty.py stall-after N   stops answering in its N-th run
  faulty.py garbage         asks for a distribution the runtime does not have
  faulty.py throw           raises in its first run (a simulator's own error)
With no arguments it is the plain Gaussian simulator."""
import math
import os
import signal
import sys
import time

import probe

mode = sys.argv[1] if len(sys.argv) > 1 else ""
after = int(sys.argv[2]) if len(sys.argv) > 2 else 0
runs = 0


def faulty():
    global runs
    runs += 1
    if mode == "garbage":
        probe.sample(probe.Distribution("Garbage", [1.0]), "mu")
    if mode == "throw":
        raise RuntimeError("the detector geometry file is missing")
    mu = probe.sample(probe.Normal(1, math.sqrt(5)), "mu")
    if mode == "die-after" and runs == after:
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "stall-after" and runs == after:
        time.sleep(3600)
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs0")
    probe.observe(probe.Normal(mu, math.sqrt(2)), "obs1")
    return mu


if __name__ == "__main__":
    sys.exit(probe.serve("faulty-gaussian", "1.0", faulty))
