// The Gaussian simulator with faults, for the bridge's tests:
//   faulty die-after N     aborts the process in its N-th run
//   faulty stall-after N   stops answering in its N-th run
//   faulty garbage         asks for a distribution the runtime does not have
//   faulty throw           throws in its first run (a simulator's own error)
//   faulty sleep MS        waits MS milliseconds in every run (a simulator whose cost is waiting, for benchmarks)
// With no arguments it is the plain Gaussian simulator.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include <probe/probe.hpp>

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  long after = argc > 2 ? std::atol(argv[2]) : 0;
  long runs = 0;
  return probe::serve("faulty-gaussian", "1.0", [&] {
    ++runs;
    if (mode == "garbage") {
      probe::sample(probe::Distribution{"Garbage", {1.0}, {}}, "mu");
    }
    if (mode == "throw") {
      throw std::runtime_error("the detector geometry file is missing");
    }
    double mu = probe::sample(probe::Normal(1, std::sqrt(5.0)), "mu");
    if (mode == "sleep") std::this_thread::sleep_for(std::chrono::milliseconds(after));
    if (mode == "die-after" && runs == after) std::abort();
    if (mode == "stall-after" && runs == after) std::this_thread::sleep_for(std::chrono::hours(1));
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs0");
    probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs1");
    return probe::Value(mu);
  }, argc, argv);
}
