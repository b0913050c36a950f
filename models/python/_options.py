"""The example simulators' --concurrent-runs N: serve up to N runs at the same time, each on a thread
of its own (probe.serve's concurrent_runs). They may: each run keeps its state in its own locals.
Default 1, one run at a time."""


def concurrent_runs(argv):
    for i, arg in enumerate(argv[:-1]):
        if arg == "--concurrent-runs":
            return int(argv[i + 1])
    return 1
