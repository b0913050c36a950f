// The Gaussian simulator with faults, for the bridge's tests:
//   faulty die-after N     aborts the process in its N-th run
//   faulty stall-after N   stops answering in its N-th run
//   faulty garbage         asks for a distribution the runtime does not have
//   faulty throw           throws in its first run (a simulator's own error)
//   faulty sleep MS        waits MS milliseconds in every run (a simulator whose cost is waiting, for benchmarks)
// With no arguments it is the plain Gaussian simulator; --concurrent-runs N (last) serves N runs at
// the same time, the faults counting runs over all of them.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include <probe/probe.hpp>

#include "concurrent_runs.hpp"

int main(int argc, char** argv) {
  std::string mode = argc > 1 && std::string(argv[1]) != "--concurrent-runs" ? argv[1] : "";
  long after = argc > 2 && !mode.empty() ? std::atol(argv[2]) : 0;
  std::atomic<long> runs = 0;
  return probe::serve("faulty-gaussian", "1.0", [&] {
    long run = ++runs;
    if (mode == "garbage") {
      probe::sample(probe::Distribution{"Garbage", {1.0}, {}}, "mu");
    }
    if (mode == "throw") {
      throw std::runtime_error("the detector geometry file is missing");
    }
    double mu = probe::sample(probe::Normal(1, std::sqrt(5.0)), "mu");
    if (mode == "sleep") std::this_thread::sleep_for(std::chrono::milliseconds(after));
    if (mode == "die-after" && run == after) std::abort();
    if (mode == "stall-after" && run == after) std::this_thread::sleep_for(std::chrono::hours(1));
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs0");
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs1");
    return probe::Value(mu);
  }, argc, argv, serve_options(argc, argv));
}
