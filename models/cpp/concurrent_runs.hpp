// The example simulators' --concurrent-runs N: serve up to N runs at the same time, each on a
// thread of its own (probe::ServeOptions::concurrent_runs). They may: each run keeps its state in
// its own locals. Default 1, one run at a time.
#pragma once

#include <cstdlib>
#include <cstring>

#include <probe/probe.hpp>

inline probe::ServeOptions serve_options(int argc, char** argv) {
  probe::ServeOptions options;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--concurrent-runs") == 0) options.concurrent_runs = std::atoi(argv[i + 1]);
  }
  return options;
}
