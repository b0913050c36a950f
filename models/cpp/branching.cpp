// The branching model of LANGUAGE.md, as a C++ simulator (the twin of builtin:branching);
// --concurrent-runs N serves N runs at the same time.
#include <cstdint>

#include <probe/probe.hpp>

#include "concurrent_runs.hpp"

static int64_t fib(int64_t n) { return n < 2 ? 1 : fib(n - 1) + fib(n - 2); }

int main(int argc, char** argv) {
  return probe::serve("branching", "1.0", [] {
    int64_t r = probe::sample(probe::Poisson(4), "r");
    int64_t l;
    if (4 < r) {
      l = 6;
    } else {
      l = 1 + fib(3 * r) + static_cast<int64_t>(probe::sample(probe::Poisson(4)));
    }
    probe::observe(probe::Poisson(static_cast<double>(l)), "obs");
    return probe::Value(r);
  }, argc, argv, serve_options(argc, argv));
}
