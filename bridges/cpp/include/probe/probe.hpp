// Probe's C++ client library: a simulator asks the Probe runtime for every random choice.
//
//   int main(int argc, char** argv) {
//     return probe::serve("gaussian", "1.0", [] {
//       double mu = probe::sample(probe::Normal(1, std::sqrt(5.0)), "mu");
//       probe::observe(probe::Normal(mu, std::sqrt(2.0)), "obs0");
//       return probe::Value(mu);
//     }, argc, argv);
//   }
//
// serve() connects to the address the runtime passes (PROBE_ADDRESS or --probe-address HOST:PORT)
// and runs the simulator once per run the runtime asks for. An unnamed sample is addressed by its
// place in the source (file, line, column, function), stable across builds and compilers.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <string>
#include <vector>

namespace probe {

/** A value: a scalar or an array of float64, int64 or booleans. */
struct Value {
  enum class DType { Float64, Int64, Bool };
  DType dtype = DType::Float64;
  std::vector<int64_t> shape;  // empty for a scalar
  std::vector<double> f64;
  std::vector<int64_t> i64;
  std::vector<bool> b;

  Value() = default;
  Value(double x) : dtype(DType::Float64), f64{x} {}
  Value(int x) : dtype(DType::Int64), i64{x} {}
  Value(int64_t x) : dtype(DType::Int64), i64{x} {}
  Value(bool x) : dtype(DType::Bool), b{x} {}
  Value(std::vector<double> xs) : dtype(DType::Float64), shape{static_cast<int64_t>(xs.size())}, f64(std::move(xs)) {}
  Value(std::vector<int64_t> xs) : dtype(DType::Int64), shape{static_cast<int64_t>(xs.size())}, i64(std::move(xs)) {}

  double as_double() const;
  int64_t as_int() const;
  bool as_bool() const;
  std::vector<double> as_doubles() const;
  operator double() const { return as_double(); }
  operator int64_t() const { return as_int(); }
  operator bool() const { return as_bool(); }
};

/**
 * A distribution of the runtime, by kind and parameters. The constructors below are the runtime's
 * registry of kinds (dev.probe.runtime.distribution.DistributionKind), parameters in its order and
 * under its names; a test in bridges/ checks them against it.
 */
struct Distribution {
  std::string kind;
  std::vector<Value> params;
  std::vector<Distribution> components;
};

Distribution Normal(double mean, double stddev);
Distribution Normal(std::vector<double> mean, std::vector<double> stddev);
Distribution Uniform(double low, double high);
Distribution Uniform(std::vector<double> low, std::vector<double> high);
Distribution TruncatedNormal(double mean, double stddev, double low, double high);
Distribution LogNormal(double mu, double sigma);
Distribution Exponential(double rate);
Distribution Gamma(double shape, double rate);
Distribution Beta(double alpha, double beta);
Distribution Bernoulli(double p);
Distribution Bernoulli(std::vector<double> p);
Distribution Binomial(int64_t n, double p);
Distribution Poisson(double rate);
Distribution Poisson(std::vector<double> rate);
Distribution Categorical(std::vector<double> weights);
Distribution Dirichlet(std::vector<double> alphas);
/** cov: the covariance matrix flattened row by row. */
Distribution MultivariateNormal(std::vector<double> mean, std::vector<double> cov);
Distribution Mixture(std::vector<double> weights, std::vector<Distribution> components);

/** A random choice addressed by its place in the source. */
Value sample(const Distribution& d, std::source_location where = std::source_location::current());
/** A random choice addressed and reported by name; control = false: never proposed nor moved. */
Value sample(const Distribution& d, const std::string& name, bool control = true);
/** Conditions on the value the runtime has for name (simulated under prior sampling); returns it. */
Value observe(const Distribution& d, const std::string& name);
/** Conditions on a value fixed in the simulator. */
Value observe_value(const Distribution& d, const Value& value);
/** Records a deterministic value under name. */
void tag(const std::string& name, const Value& value);
/** Adds log_weight to the run's log weight. */
void factor(double log_weight);

namespace detail {
/** Tells the runtime a marked rejection loop starts; true: run an iteration of its body. */
bool loop_begin(const std::string& name);
/** Tells the runtime whether the iteration was accepted; true: run another. */
bool loop_end(bool accepted);
}  // namespace detail

/**
 * A rejection-sampling loop, marked so that the runtime can treat it as one: runs body until
 * accept(result) holds and returns the first accepted result. The runtime decides how many
 * iterations run: inference compilation runs extra ones (their results are discarded) to
 * estimate acceptance rates, so body must have no effect outside its result, and must not
 * observe, tag or factor: only the accepted result may meet data.
 */
template <class Body, class Accept>
auto rejection(const std::string& name, Body body, Accept accept) -> decltype(body()) {
  using T = decltype(body());
  std::optional<T> kept;
  bool again = detail::loop_begin(name);
  while (again) {
    T value = body();
    bool ok = accept(value);
    if (ok && !kept) kept = value;
    again = detail::loop_end(ok);
  }
  if (!kept) throw std::logic_error("probe::rejection: the runtime ended loop '" + name + "' before an accepted iteration");
  return *kept;
}

/** Thrown inside a run that the runtime aborted (an error or a cancel): let it propagate. */
struct RunAborted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** The simulator: one call is one run; it returns the run's result. */
using Simulator = std::function<Value()>;

/** How serve() serves runs. */
struct ServeOptions {
  /**
   * Runs served at the same time, each on a thread of its own calling the simulator: with more than
   * one, the runtime may give this connection up to that many runs whose choices it decides (rmh,
   * smc, ic), their messages interleaved by run id, so that one process keeps several runs busy.
   * The simulator must then be safe to call from several threads at once (no shared mutable state
   * without a lock). 1: one run at a time, as a simulator that says nothing.
   */
  int concurrent_runs = 1;
};

/**
 * Connects to the runtime and serves runs until the runtime closes the stream. Returns the process
 * exit code: 0 when the runtime finished with it, non-zero after an error (printed to stderr).
 */
int serve(const std::string& name, const std::string& version, Simulator simulator, int argc, char** argv);

/** As serve() above, with options: several runs at the same time (ServeOptions::concurrent_runs). */
int serve(const std::string& name, const std::string& version, Simulator simulator, int argc, char** argv,
          const ServeOptions& options);

}  // namespace probe
