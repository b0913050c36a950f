// Gaussian with unknown mean, as a C++ simulator (the twin of builtin:gaussian);
// --concurrent-runs N serves N runs at the same time.
#include <cmath>

#include <probe/probe.hpp>

#include "concurrent_runs.hpp"

int main(int argc, char** argv) {
  return probe::serve("gaussian", "1.0", [] {
    double mu = probe::sample(probe::Normal(1, std::sqrt(5.0)), "mu");
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs0");
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs1");
    return probe::Value(mu);
  }, argc, argv, serve_options(argc, argv));
}
