// The client side of Probe's bridge protocol (probe.bridge.v1, protocol version 2): one
// bidirectional stream per simulator process, lock-step within a run, or streamed without waits in
// a self-drawn run (the simulator draws its own choices from the run's seed).
#include "probe/probe.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <signal.h>
#include <cerrno>

#include <grpcpp/grpcpp.h>

#include "probe/bridge/v1/bridge.grpc.pb.h"

namespace pb = probe::bridge::v1;

namespace probe {
namespace {

constexpr uint32_t kProtocolVersion = 2;
/** The runtime's limit on one message (docs/bridge.md): images of a few MB pass. */
constexpr int kMaxMessageBytes = 64 << 20;

/** The environment variable's value, or "" when unset. */
std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

/**
 * The channel to the runtime: TLS trusting the CA certificate in PROBE_BRIDGE_TLS_CA (a PEM file)
 * when it is set, plaintext otherwise (the runtime allows plaintext on loopback only).
 */
std::shared_ptr<grpc::Channel> open_channel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  std::string ca_file = env("PROBE_BRIDGE_TLS_CA");
  if (ca_file.empty()) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  std::ifstream in(ca_file);
  std::stringstream pem;
  pem << in.rdbuf();
  if (!in || pem.str().empty()) {
    throw std::runtime_error("cannot read the CA certificate " + ca_file + " named by PROBE_BRIDGE_TLS_CA");
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = pem.str();
  std::string server_name = env("PROBE_BRIDGE_TLS_SERVER_NAME");
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(tls), args);
}

using Stream = grpc::ClientReaderWriter<pb::SimulatorMessage, pb::RuntimeMessage>;

/**
 * The generator of self-drawn runs: xoroshiro128++ (Blackman and Vigna), its state the next two
 * outputs of SplitMix64 started at the run's seed. The Python client uses the same generator and
 * the same samplers, so a self-drawn run gives the same values in either language.
 */
class Rng {
 public:
  explicit Rng(uint64_t seed) : s0_(splitmix(seed)), s1_(splitmix(seed)) {
    if (s0_ == 0 && s1_ == 0) s1_ = 1;
  }

  uint64_t next() {
    uint64_t r = rotl(s0_ + s1_, 17) + s0_;
    uint64_t t = s1_ ^ s0_;
    s0_ = rotl(s0_, 49) ^ t ^ (t << 21);
    s1_ = rotl(t, 28);
    return r;
  }

  /** Uniform on [0, 1), 53 random bits. */
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /** Standard normal by Box-Muller (one value per pair of uniforms, the other dropped). */
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log1p(-u1)) * std::cos(kTwoPi * u2);
  }

 private:
  static constexpr double kTwoPi = 6.283185307179586476925287;
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t s0_;
  uint64_t s1_;
};

/** Writes the messages of outbox as one frame (a batch when there are several) and empties it; false if the stream is gone. */
bool write_frame(Stream* stream, std::vector<pb::SimulatorMessage>& outbox) {
  if (outbox.empty()) return true;
  bool ok;
  if (outbox.size() == 1) {
    ok = stream->Write(outbox.front());
  } else {
    pb::SimulatorMessage frame;
    auto* batch = frame.mutable_batch()->mutable_messages();
    batch->Reserve(static_cast<int>(outbox.size()));
    for (pb::SimulatorMessage& m : outbox) batch->Add(std::move(m));
    ok = stream->Write(frame);
  }
  outbox.clear();
  return ok;
}

/** How a run's messages travel: out to the runtime, and the runtime's answers back to the run. */
class Link {
 public:
  virtual ~Link() = default;
  /** Queues or sends a message; waits: the run waits for an answer next. False if the stream is gone. */
  virtual bool write(pb::SimulatorMessage&& m, bool waits) = 0;
  /** The runtime's next message for run run_id (a Value, an Error or a Cancel), or false when the stream is gone. */
  virtual bool answer(uint64_t run_id, pb::RuntimeMessage* m) = 0;
};

/**
 * The stream and what travels on it between runs: messages read but not yet taken (a batch is
 * unpacked here), StartRuns that arrived during a run (several runs in flight: served next, in
 * order), and, on a batching connection, the messages written since the simulator last waited.
 */
struct Connection final : Link {
  Stream* stream = nullptr;
  std::deque<pb::RuntimeMessage> inbox;
  std::deque<pb::RuntimeMessage> pending;
  std::vector<pb::SimulatorMessage> outbox;
  size_t outbox_bytes = 0;
  /** Whether the runtime's Welcome listed "batch": otherwise each message is a frame of its own. */
  bool batching = false;

  /** Writes what waits in the outbox, as one frame; false if the stream is gone. */
  bool flush() {
    outbox_bytes = 0;
    return write_frame(stream, outbox);
  }

  /**
   * Queues a message: it goes out with the next one that waits (waits: this one), or when the
   * simulator has no run left to serve. A large outbox goes at once.
   */
  bool write(pb::SimulatorMessage&& m, bool waits = false) override {
    if (!batching) {
      // Buffered by gRPC until the next message that flushes (one that waits, or a run's end).
      grpc::WriteOptions options;
      if (!waits && !m.has_result() && !m.has_error()) options.set_buffer_hint();
      return stream->Write(m, options);
    }
    outbox_bytes += m.ByteSizeLong();
    outbox.push_back(std::move(m));
    return outbox_bytes < (4u << 20) || flush();
  }

  /** The runtime's next message (batches unpacked), or false when it closed the stream. */
  bool read(pb::RuntimeMessage* m) {
    if (inbox.empty()) {
      if (!flush()) return false;
      pb::RuntimeMessage frame;
      if (!stream->Read(&frame)) return false;
      if (!frame.has_batch()) {
        *m = std::move(frame);
        return true;
      }
      for (pb::RuntimeMessage& inner : *frame.mutable_batch()->mutable_messages()) inbox.push_back(std::move(inner));
      if (inbox.empty()) return read(m);
    }
    *m = std::move(inbox.front());
    inbox.pop_front();
    return true;
  }

  bool answer(uint64_t, pb::RuntimeMessage* m) override {
    while (true) {
      if (!read(m)) return false;
      if (!m->has_start()) return true;
      // The runtime may send the next runs' StartRuns ahead (capability runs-in-flight): keep them.
      pending.push_back(std::move(*m));
    }
  }
};

class Lane;

/**
 * One stream serving several runs at the same time (capability concurrent-runs:N), each on a
 * lane: a thread of its own. The main thread reads; StartRuns queue for the first free lane, and
 * every other message goes to the lane of its run id. Writes are serialised; on a batching
 * connection they gather in one outbox that goes out when a run waits or a lane has nothing to do.
 */
struct Multiplexer {
  /** The stream's writing side, guarded by write_mu (its reading side is read_all's). */
  Connection out;
  std::mutex write_mu;

  std::mutex mu;
  std::condition_variable started;
  std::deque<pb::RuntimeMessage> starts;  // guarded by mu
  std::map<uint64_t, Lane*> runs;         // guarded by mu: the runs in progress, by id
  bool closed = false;                    // guarded by mu

  /** Queues or sends a message as Connection::write does; one that waits goes out at once, with what was queued. */
  bool write(pb::SimulatorMessage&& m, bool waits) {
    std::lock_guard<std::mutex> g(write_mu);
    return out.write(std::move(m), waits) && (!waits || out.flush());
  }

  bool flush() {
    std::lock_guard<std::mutex> g(write_mu);
    return out.flush();
  }

  /** Reads until the runtime closes the stream, handing each message to its lane. */
  void read_all();

 private:
  void deliver(pb::RuntimeMessage&& m);
};

/** A thread serving runs of a Multiplexer, one at a time, and what the runtime sent its run. */
class Lane final : public Link {
 public:
  explicit Lane(Multiplexer& mux) : mux_(mux) {}

  bool write(pb::SimulatorMessage&& m, bool waits) override { return mux_.write(std::move(m), waits); }

  bool answer(uint64_t, pb::RuntimeMessage* m) override {
    std::unique_lock<std::mutex> l(mux_.mu);
    arrived_.wait(l, [&] { return !inbox_.empty() || mux_.closed; });
    if (inbox_.empty()) return false;
    *m = std::move(inbox_.front());
    inbox_.pop_front();
    return true;
  }

  /** Takes the next StartRun (flushing what waits first when there is none yet); false once the stream is gone. */
  bool next(pb::RuntimeMessage* start) {
    std::unique_lock<std::mutex> l(mux_.mu);
    if (mux_.starts.empty() && !mux_.closed) {
      l.unlock();
      mux_.flush();
      l.lock();
    }
    mux_.started.wait(l, [&] { return !mux_.starts.empty() || mux_.closed; });
    if (mux_.closed) return false;
    *start = std::move(mux_.starts.front());
    mux_.starts.pop_front();
    inbox_.clear();
    mux_.runs[start->start().run_id()] = this;
    return true;
  }

  void done(uint64_t run_id) {
    std::lock_guard<std::mutex> g(mux_.mu);
    mux_.runs.erase(run_id);
  }

 private:
  friend struct Multiplexer;
  Multiplexer& mux_;
  std::condition_variable arrived_;
  std::deque<pb::RuntimeMessage> inbox_;  // guarded by mux_.mu
};

void Multiplexer::deliver(pb::RuntimeMessage&& m) {
  if (m.has_start()) {
    starts.push_back(std::move(m));
    started.notify_one();
    return;
  }
  uint64_t id = m.has_value() ? m.value().run_id() : m.has_cancel() ? m.cancel().run_id() : m.has_error() ? m.error().run_id() : 0;
  auto it = runs.find(id);
  if (it == runs.end()) return;  // a late error or cancel of a run already over
  it->second->inbox_.push_back(std::move(m));
  it->second->arrived_.notify_one();
}

void Multiplexer::read_all() {
  pb::RuntimeMessage frame;
  while (out.stream->Read(&frame)) {
    std::lock_guard<std::mutex> g(mu);
    if (frame.has_batch()) {
      for (pb::RuntimeMessage& inner : *frame.mutable_batch()->mutable_messages()) deliver(std::move(inner));
    } else {
      deliver(std::move(frame));
    }
  }
  std::lock_guard<std::mutex> g(mu);
  closed = true;
  started.notify_all();
  for (auto& [id, lane] : runs) lane->arrived_.notify_one();
}

/** The run in progress on this thread. */
struct Session {
  Link* connection = nullptr;
  uint64_t run_id = 0;
  /** The given observations, by name, and how often each name was observed so far in this run. */
  std::map<std::string, pb::Tensor> observations;
  std::map<std::string, int64_t> occurrences;
  /** Set in a self-drawn run: the generator its choices come from. */
  std::optional<Rng> rng;
};
thread_local Session* current = nullptr;

Session& session() {
  if (current == nullptr) {
    throw std::logic_error("probe::sample/observe called outside a run: call them from the simulator passed to probe::serve");
  }
  return *current;
}

void to_proto(const Value& v, pb::Tensor* t) {
  for (int64_t d : v.shape) t->add_shape(d);
  switch (v.dtype) {
    case Value::DType::Float64:
      t->set_dtype(pb::Tensor::FLOAT64);
      for (double x : v.f64) t->add_f64(x);
      break;
    case Value::DType::Int64:
      t->set_dtype(pb::Tensor::INT64);
      for (int64_t x : v.i64) t->add_i64(x);
      break;
    case Value::DType::Bool:
      t->set_dtype(pb::Tensor::BOOL);
      for (bool x : v.b) t->add_b(x);
      break;
  }
}

Value from_proto(const pb::Tensor& t) {
  Value v;
  v.shape.assign(t.shape().begin(), t.shape().end());
  switch (t.dtype()) {
    case pb::Tensor::INT64:
      v.dtype = Value::DType::Int64;
      v.i64.assign(t.i64().begin(), t.i64().end());
      break;
    case pb::Tensor::BOOL:
      v.dtype = Value::DType::Bool;
      v.b.assign(t.b().begin(), t.b().end());
      break;
    case pb::Tensor::FLOAT32:
      v.dtype = Value::DType::Float64;
      v.f64.assign(t.f32().begin(), t.f32().end());
      break;
    default:
      v.dtype = Value::DType::Float64;
      v.f64.assign(t.f64().begin(), t.f64().end());
  }
  return v;
}

void to_proto(const Distribution& d, pb::Distribution* out) {
  out->set_kind(d.kind);
  for (const Value& p : d.params) to_proto(p, out->add_params());
  for (const Distribution& c : d.components) to_proto(c, out->add_components());
}

/**
 * Sends a message and, for sample and observe, waits for the runtime's value. A message that
 * waits for nothing is queued: it goes out in one frame with the next one that waits, or when the
 * simulator has served the runs in flight (capability "batch").
 */
Value exchange(pb::SimulatorMessage& m, bool wants_value) {
  Session& s = session();
  Link& c = *s.connection;
  if (!c.write(std::move(m), wants_value)) {
    throw RunAborted("the runtime closed the connection");
  }
  if (!wants_value) return Value();
  pb::RuntimeMessage reply;
  if (!c.answer(s.run_id, &reply)) {
    throw RunAborted("the runtime closed the connection");
  }
  if (reply.has_value() && reply.value().run_id() == s.run_id) {
    return from_proto(reply.value().value());
  }
  if (reply.has_error()) {
    throw RunAborted("the runtime stopped the run: " + reply.error().message());
  }
  if (reply.has_cancel()) {
    throw RunAborted("the runtime cancelled the run: " + reply.cancel().reason());
  }
  throw RunAborted("unexpected message from the runtime during a run");
}

std::string site(const std::source_location& where) {
  // The file's base name, so that the address does not depend on where the source was built.
  std::string file = where.file_name();
  auto slash = file.find_last_of("/\\");
  if (slash != std::string::npos) file = file.substr(slash + 1);
  return std::string(where.function_name()) + "@" + file + ":" + std::to_string(where.line()) + ":" +
         std::to_string(where.column());
}

Distribution make(std::string kind, std::vector<Value> params) {
  return Distribution{std::move(kind), std::move(params), {}};
}

/** Gamma(shape, 1) by Marsaglia and Tsang; below shape 1, Gamma(shape + 1) times u^(1 / shape) (u drawn first). */
double gamma_draw(Rng& rng, double shape) {
  if (shape < 1) {
    double u = 1.0 - rng.uniform();
    return gamma_draw(rng, shape + 1) * std::pow(u, 1.0 / shape);
  }
  double d = shape - 1.0 / 3.0;
  double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = rng.normal();
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    double u = 1.0 - rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

/** Poisson: Knuth's product of uniforms below rate 10, Hoermann's transformed rejection (PTRS) above. */
int64_t poisson_draw(Rng& rng, double rate) {
  if (rate < 10) {
    double limit = std::exp(-rate);
    double p = 1.0;
    int64_t k = 0;
    while (true) {
      p *= rng.uniform();
      if (p <= limit) return k;
      ++k;
    }
  }
  double slam = std::sqrt(rate);
  double loglam = std::log(rate);
  double b = 0.931 + 2.53 * slam;
  double a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  double vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    double u = rng.uniform() - 0.5;
    double v = rng.uniform();
    double us = 0.5 - std::fabs(u);
    double k = std::floor((2 * a / us + b) * u + rate + 0.43);
    if (us >= 0.07 && v <= vr) return static_cast<int64_t>(k);
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (std::log(v) + std::log(invalpha) - std::log(a / (us * us) + b) <= -rate + k * loglam - std::lgamma(k + 1)) {
      return static_cast<int64_t>(k);
    }
  }
}

/** The index of a weight, with probability proportional to it (weights non-negative, some positive). */
std::optional<int64_t> categorical_draw(Rng& rng, const std::vector<double>& w) {
  double total = 0;
  for (double x : w) {
    if (!(x >= 0) || !std::isfinite(x)) return std::nullopt;
    total += x;
  }
  if (!(total > 0)) return std::nullopt;
  double u = rng.uniform() * total;
  int64_t last = -1;
  for (size_t i = 0; i < w.size(); ++i) {
    if (w[i] <= 0) continue;
    last = static_cast<int64_t>(i);
    u -= w[i];
    if (u < 0) return last;
  }
  return last;
}

/** A scalar of a kind whose parameters are the scalars p (one element of an array of draws). */
std::optional<Value> draw_scalar(const std::string& kind, const std::vector<double>& p, Rng& rng) {
  if (kind == "Normal" && p.size() == 2) return Value(p[0] + p[1] * rng.normal());
  if (kind == "Uniform" && p.size() == 2) return Value(p[0] + (p[1] - p[0]) * rng.uniform());
  if (kind == "LogNormal" && p.size() == 2) return Value(std::exp(p[0] + p[1] * rng.normal()));
  if (kind == "Exponential" && p.size() == 1) return Value(-std::log1p(-rng.uniform()) / p[0]);
  if (kind == "Bernoulli" && p.size() == 1) return Value(rng.uniform() < p[0]);
  if (kind == "Gamma" && p.size() == 2 && p[0] > 0 && p[1] > 0) return Value(gamma_draw(rng, p[0]) / p[1]);
  if (kind == "Beta" && p.size() == 2 && p[0] > 0 && p[1] > 0) {
    double x = gamma_draw(rng, p[0]);
    double y = gamma_draw(rng, p[1]);
    return Value(x / (x + y));
  }
  if (kind == "Poisson" && p.size() == 1 && p[0] >= 0 && p[0] < 1e9) return Value(poisson_draw(rng, p[0]));
  if (kind == "TruncatedNormal" && p.size() == 4 && p[1] > 0 && p[2] < p[3]) {
    // By rejection from the normal; an interval so far in a tail that 10,000 tries miss it is asked of the runtime.
    for (int tries = 0; tries < 10000; ++tries) {
      double x = p[0] + p[1] * rng.normal();
      if (x >= p[2] && x <= p[3]) return Value(x);
    }
    return std::nullopt;
  }
  if (kind == "Binomial" && p.size() == 2 && p[0] >= 0 && p[0] == std::floor(p[0]) && p[1] >= 0 && p[1] <= 1) {
    // Geometric waiting times between successes: about n min(p, 1 - p) + 1 uniforms.
    double n = p[0];
    double q = std::min(p[1], 1 - p[1]);
    if (n * q > 1e7) return std::nullopt;
    int64_t k = 0;
    if (q > 0) {
      double log_q = std::log1p(-q);
      double at = 0;
      while (true) {
        at += std::floor(std::log1p(-rng.uniform()) / log_q) + 1;
        if (at > n) break;
        ++k;
      }
    }
    return Value(p[1] > 0.5 ? static_cast<int64_t>(n) - k : k);
  }
  return std::nullopt;
}

/**
 * A value drawn from d by the run's own generator: every kind of the runtime, the broadcasting
 * ones (Normal, Uniform, Bernoulli, Poisson) with array parameters too (arrays of one shape, or
 * scalars), element by element in order. Nothing where the parameters are not those the runtime
 * accepts (it is then asked, and names the fault) or a sampler gives up (TruncatedNormal far in a
 * tail, Binomial with n min(p, 1 - p) over 10^7). The Python client has the same samplers.
 */
std::optional<Value> draw(const Distribution& d, Rng& rng) {
  if (d.kind == "Mixture") {
    if (d.params.size() != 1) return std::nullopt;
    std::vector<double> w = d.params[0].as_doubles();
    if (w.size() != d.components.size()) return std::nullopt;
    std::optional<int64_t> k = categorical_draw(rng, w);
    if (!k) return std::nullopt;
    return draw(d.components[static_cast<size_t>(*k)], rng);
  }
  if (!d.components.empty()) return std::nullopt;
  if (d.kind == "Categorical") {
    if (d.params.size() != 1) return std::nullopt;
    std::optional<int64_t> k = categorical_draw(rng, d.params[0].as_doubles());
    return k ? std::optional<Value>(Value(*k)) : std::nullopt;
  }
  if (d.kind == "Dirichlet") {
    if (d.params.size() != 1) return std::nullopt;
    std::vector<double> alphas = d.params[0].as_doubles();
    std::vector<double> x;
    double total = 0;
    for (double a : alphas) {
      if (!(a > 0)) return std::nullopt;
      x.push_back(gamma_draw(rng, a));
      total += x.back();
    }
    if (x.empty()) return std::nullopt;
    for (double& v : x) v /= total;
    return Value(std::move(x));
  }
  if (d.kind == "MultivariateNormal") {
    if (d.params.size() != 2) return std::nullopt;
    std::vector<double> mean = d.params[0].as_doubles();
    std::vector<double> cov = d.params[1].as_doubles();
    size_t n = mean.size();
    if (n == 0 || cov.size() != n * n) return std::nullopt;
    // Cholesky factor L (lower, row by row) of the covariance; a matrix that is not positive definite is the runtime's to refuse.
    std::vector<double> l(n * n, 0.0);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j <= i; ++j) {
        double sum = cov[i * n + j];
        for (size_t k = 0; k < j; ++k) sum -= l[i * n + k] * l[j * n + k];
        if (i == j) {
          if (!(sum > 0)) return std::nullopt;
          l[i * n + i] = std::sqrt(sum);
        } else {
          l[i * n + j] = sum / l[j * n + j];
        }
      }
    }
    std::vector<double> z(n);
    for (double& v : z) v = rng.normal();
    std::vector<double> x(mean);
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k <= i; ++k) x[i] += l[i * n + k] * z[k];
    }
    return Value(std::move(x));
  }
  // Scalars, or arrays of draws: every array parameter of one shape, scalars repeated.
  const std::vector<int64_t>* shape = nullptr;
  size_t size = 1;
  for (const Value& v : d.params) {
    if (v.shape.empty()) continue;
    size_t n = v.dtype == Value::DType::Float64 ? v.f64.size() : v.dtype == Value::DType::Int64 ? v.i64.size() : v.b.size();
    if (shape != nullptr && *shape != v.shape) return std::nullopt;
    shape = &v.shape;
    size = n;
  }
  std::vector<std::vector<double>> params;
  for (const Value& v : d.params) {
    std::vector<double> xs = v.as_doubles();
    if (xs.size() != (v.shape.empty() ? 1 : size)) return std::nullopt;
    params.push_back(std::move(xs));
  }
  if (shape == nullptr) {
    std::vector<double> p;
    for (const auto& xs : params) p.push_back(xs[0]);
    return draw_scalar(d.kind, p, rng);
  }
  if (d.kind != "Normal" && d.kind != "Uniform" && d.kind != "Bernoulli" && d.kind != "Poisson") return std::nullopt;
  Value out;
  out.shape = *shape;
  out.dtype = d.kind == "Bernoulli" ? Value::DType::Bool : d.kind == "Poisson" ? Value::DType::Int64 : Value::DType::Float64;
  std::vector<double> p(params.size());
  for (size_t i = 0; i < size; ++i) {
    for (size_t j = 0; j < params.size(); ++j) p[j] = params[j].size() == 1 && d.params[j].shape.empty() ? params[j][0] : params[j][i];
    std::optional<Value> v = draw_scalar(d.kind, p, rng);
    if (!v) return std::nullopt;
    switch (out.dtype) {
      case Value::DType::Float64: out.f64.push_back(v->f64[0]); break;
      case Value::DType::Int64: out.i64.push_back(v->i64[0]); break;
      case Value::DType::Bool: out.b.push_back(v->b[0]); break;
    }
  }
  return out;
}

}  // namespace

double Value::as_double() const {
  if (!shape.empty()) throw std::logic_error("probe::Value: an array is not a scalar");
  if (dtype == DType::Float64 && !f64.empty()) return f64[0];
  if (dtype == DType::Int64 && !i64.empty()) return static_cast<double>(i64[0]);
  if (dtype == DType::Bool && !b.empty()) return b[0] ? 1.0 : 0.0;
  throw std::logic_error("probe::Value: empty");
}

int64_t Value::as_int() const {
  if (dtype == DType::Int64 && shape.empty() && !i64.empty()) return i64[0];
  if (dtype == DType::Bool && shape.empty() && !b.empty()) return b[0] ? 1 : 0;
  throw std::logic_error("probe::Value: not an integer");
}

bool Value::as_bool() const {
  if (dtype == DType::Bool && shape.empty() && !b.empty()) return b[0];
  return as_double() != 0;
}

std::vector<double> Value::as_doubles() const {
  if (dtype == DType::Float64) return f64;
  std::vector<double> out;
  if (dtype == DType::Int64) for (int64_t x : i64) out.push_back(static_cast<double>(x));
  else for (bool x : b) out.push_back(x ? 1.0 : 0.0);
  return out;
}

Distribution Normal(double mean, double stddev) { return make("Normal", {mean, stddev}); }
Distribution Normal(std::vector<double> mean, std::vector<double> stddev) {
  return make("Normal", {Value(std::move(mean)), Value(std::move(stddev))});
}
Distribution Uniform(double low, double high) { return make("Uniform", {low, high}); }
Distribution Uniform(std::vector<double> low, std::vector<double> high) {
  return make("Uniform", {Value(std::move(low)), Value(std::move(high))});
}
Distribution TruncatedNormal(double mean, double stddev, double low, double high) {
  return make("TruncatedNormal", {mean, stddev, low, high});
}
Distribution LogNormal(double mu, double sigma) { return make("LogNormal", {mu, sigma}); }
Distribution Exponential(double rate) { return make("Exponential", {rate}); }
Distribution Gamma(double shape, double rate) { return make("Gamma", {shape, rate}); }
Distribution Beta(double alpha, double beta) { return make("Beta", {alpha, beta}); }
Distribution Bernoulli(double p) { return make("Bernoulli", {p}); }
Distribution Bernoulli(std::vector<double> p) { return make("Bernoulli", {Value(std::move(p))}); }
Distribution Binomial(int64_t n, double p) { return make("Binomial", {n, p}); }
Distribution Poisson(double rate) { return make("Poisson", {rate}); }
Distribution Poisson(std::vector<double> rate) { return make("Poisson", {Value(std::move(rate))}); }
Distribution Categorical(std::vector<double> weights) { return make("Categorical", {Value(std::move(weights))}); }
Distribution Dirichlet(std::vector<double> alphas) { return make("Dirichlet", {Value(std::move(alphas))}); }
Distribution MultivariateNormal(std::vector<double> mean, std::vector<double> cov) {
  return make("MultivariateNormal", {Value(std::move(mean)), Value(std::move(cov))});
}
Distribution Mixture(std::vector<double> weights, std::vector<Distribution> components) {
  Distribution d = make("Mixture", {Value(std::move(weights))});
  d.components = std::move(components);
  return d;
}

namespace {

/** Sends a Sample: with the value drawn in a self-drawn run (no wait), else waiting for the runtime's. */
Value send_sample(pb::SimulatorMessage& m, const Distribution& d) {
  Session& s = session();
  if (s.rng) {
    if (std::optional<Value> v = draw(d, *s.rng)) {
      to_proto(*v, m.mutable_sample()->mutable_value());
      exchange(m, false);
      return *v;
    }
  }
  return exchange(m, true);
}

}  // namespace

Value sample(const Distribution& d, std::source_location where) {
  pb::SimulatorMessage m;
  auto* s = m.mutable_sample();
  s->set_run_id(session().run_id);
  to_proto(d, s->mutable_distribution());
  s->set_address(site(where));
  return send_sample(m, d);
}

Value sample(const Distribution& d, const std::string& name, bool control) {
  pb::SimulatorMessage m;
  auto* s = m.mutable_sample();
  s->set_run_id(session().run_id);
  to_proto(d, s->mutable_distribution());
  s->set_name(name);
  s->set_uncontrolled(!control);
  return send_sample(m, d);
}

namespace {

/** Whether a distribution's values are arrays (the runtime's rule for its kinds). */
bool is_vector(const Distribution& d) {
  if (d.kind == "Dirichlet" || d.kind == "MultivariateNormal") return true;
  if (d.kind == "Categorical") return false;
  if (d.kind == "Mixture") return !d.components.empty() && is_vector(d.components.front());
  for (const Value& p : d.params) {
    if (!p.shape.empty()) return true;
  }
  return false;
}

/** Element k along the first dimension of a tensor of rank 1 or 2. */
Value slice(const pb::Tensor& t, int64_t k) {
  Value all = from_proto(t);
  Value v;
  v.dtype = all.dtype;
  int64_t width = t.shape_size() == 2 ? t.shape(1) : 1;
  if (t.shape_size() == 2) v.shape = {width};
  for (int64_t i = k * width; i < (k + 1) * width; ++i) {
    switch (all.dtype) {
      case Value::DType::Float64: v.f64.push_back(all.f64[i]); break;
      case Value::DType::Int64: v.i64.push_back(all.i64[i]); break;
      case Value::DType::Bool: v.b.push_back(all.b[i]); break;
    }
  }
  return v;
}

/**
 * The given value for occurrence k of an observation, by the runtime's rule: for a scalar
 * distribution a scalar is occurrence 0 and a vector holds one per occurrence; for an array-valued
 * one a vector is occurrence 0 and a matrix holds one row per occurrence. Nothing when unsure: the
 * runtime is asked instead.
 */
std::optional<Value> given(const Distribution& d, const pb::Tensor& t, int64_t k) {
  bool vector = is_vector(d);
  int rank = t.shape_size();
  if (!vector && rank == 0 && k == 0) return from_proto(t);
  if (!vector && rank == 1 && k < t.shape(0)) return slice(t, k);
  if (vector && rank == 1 && k == 0) return from_proto(t);
  if (vector && rank == 2 && k < t.shape(0)) return slice(t, k);
  return std::nullopt;
}

}  // namespace

Value observe(const Distribution& d, const std::string& name) {
  Session& s = session();
  int64_t k = s.occurrences[name]++;
  auto it = s.observations.find(name);
  if (it != s.observations.end()) {
    if (std::optional<Value> v = given(d, it->second, k)) {
      // Pipelined: use the given value now; the runtime checks it and sends nothing back.
      pb::SimulatorMessage m;
      auto* o = m.mutable_observe();
      o->set_run_id(s.run_id);
      to_proto(d, o->mutable_distribution());
      o->set_name(name);
      o->set_pipelined(true);
      to_proto(*v, o->mutable_value());
      exchange(m, false);
      return *v;
    }
  }
  pb::SimulatorMessage m;
  auto* o = m.mutable_observe();
  o->set_run_id(session().run_id);
  to_proto(d, o->mutable_distribution());
  o->set_name(name);
  if (s.rng) {
    // No value given: in a self-drawn run the simulator simulates the observation itself.
    if (std::optional<Value> v = draw(d, *s.rng)) {
      o->set_pipelined(true);
      o->set_drawn(true);
      to_proto(*v, o->mutable_value());
      exchange(m, false);
      return *v;
    }
  }
  return exchange(m, true);
}

Value observe_value(const Distribution& d, const Value& value) {
  pb::SimulatorMessage m;
  auto* o = m.mutable_observe();
  o->set_run_id(session().run_id);
  to_proto(d, o->mutable_distribution());
  to_proto(value, o->mutable_value());
  return exchange(m, true);
}

void tag(const std::string& name, const Value& value) {
  pb::SimulatorMessage m;
  auto* t = m.mutable_tag();
  t->set_run_id(session().run_id);
  t->set_name(name);
  to_proto(value, t->mutable_value());
  exchange(m, false);
}

void factor(double log_weight) {
  pb::SimulatorMessage m;
  auto* f = m.mutable_factor();
  f->set_run_id(session().run_id);
  f->set_log_weight(log_weight);
  exchange(m, false);
}

namespace detail {

// In a self-drawn run the simulator runs its loops itself, up to the first accepted iteration,
// and tells the runtime without waiting.
bool loop_begin(const std::string& name) {
  pb::SimulatorMessage m;
  auto* b = m.mutable_loop_begin();
  b->set_run_id(session().run_id);
  b->set_name(name);
  if (session().rng) {
    exchange(m, false);
    return true;
  }
  return exchange(m, true).as_bool();
}

bool loop_end(bool accepted) {
  pb::SimulatorMessage m;
  auto* e = m.mutable_loop_end();
  e->set_run_id(session().run_id);
  e->set_accepted(accepted);
  if (session().rng) {
    exchange(m, false);
    return !accepted;
  }
  return exchange(m, true).as_bool();
}

}  // namespace detail

namespace {

/** Serves the run of start on link: its RunResult or Error, or nothing when the runtime aborted it. */
std::optional<pb::SimulatorMessage> run_once(const pb::StartRun& start, Link* link, const Simulator& simulator) {
  Session s{link, start.run_id(), {}, {}, std::nullopt};
  if (start.self_draw()) s.rng.emplace(start.seed());
  for (const pb::NamedValue& nv : start.observations()) s.observations[nv.name()] = nv.value();
  current = &s;
  pb::SimulatorMessage done;
  try {
    Value result = simulator();
    done.mutable_result()->set_run_id(s.run_id);
    to_proto(result, done.mutable_result()->mutable_value());
  } catch (const RunAborted&) {
    current = nullptr;
    return std::nullopt;  // the runtime knows why; wait for the next run
  } catch (const std::exception& e) {
    done.Clear();
    done.mutable_error()->set_code(pb::Error::SIMULATOR);
    done.mutable_error()->set_run_id(s.run_id);
    done.mutable_error()->set_message(e.what());
  }
  current = nullptr;
  return done;
}

/** Serves runs on lanes threads at once until the runtime closes the stream. */
void serve_concurrently(Stream* stream, bool batching, int lanes, const Simulator& simulator) {
  Multiplexer mux;
  mux.out.stream = stream;
  mux.out.batching = batching;
  std::vector<std::thread> threads;
  for (int i = 0; i < lanes; ++i) {
    threads.emplace_back([&mux, &simulator] {
      Lane lane(mux);
      pb::RuntimeMessage start;
      while (lane.next(&start)) {
        uint64_t id = start.start().run_id();
        std::optional<pb::SimulatorMessage> done = run_once(start.start(), &lane, simulator);
        if (done) mux.write(std::move(*done), false);
        lane.done(id);
      }
    });
  }
  mux.read_all();
  for (std::thread& t : threads) t.join();
  mux.flush();
}

/**
 * The state and start time of process {@code pid} from /proc (fields 3 and 22 of its stat line),
 * or "" when there is no such process. Where /proc is not mounted, "?" for a live process.
 */
std::string process_identity(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM ? "?" : "";
  std::string line;
  std::getline(in, line);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  size_t close = line.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream rest(line.substr(close + 1));
  std::string field, state, start;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 3) state = field;
    if (i == 22) start = field;
  }
  if (state == "Z" || state == "X") return "";  // dead, not yet reaped
  return start;
}

/**
 * A simulator the runtime started (PROBE_PARENT_PID, set by 'probe infer --simulator' and by a
 * cluster's tasks) ends when that process ends, even killed with SIGKILL, instead of waiting out
 * PROBE_CONNECT_TIMEOUT or a stream that no longer leads anywhere: it checks five times a second.
 */
void watch_parent(const std::string& name) {
  long parent = std::atol(env("PROBE_PARENT_PID").c_str());
  if (parent <= 1) return;
  std::string identity = process_identity(parent);
  if (identity.empty()) {
    std::cerr << name << ": the Probe runtime that started me (pid " << parent << ") is gone: exiting" << std::endl;
    std::_Exit(3);
  }
  std::thread([name, parent, identity] {
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (process_identity(parent) != identity) {
        std::cerr << name << ": the Probe runtime that started me (pid " << parent << ") is gone: exiting" << std::endl;
        std::_Exit(3);
      }
    }
  }).detach();
}

}  // namespace

int serve(const std::string& name, const std::string& version, Simulator simulator, int argc, char** argv) {
  return serve(name, version, std::move(simulator), argc, argv, ServeOptions{});
}

int serve(const std::string& name, const std::string& version, Simulator simulator, int argc, char** argv,
          const ServeOptions& options) {
  if (options.concurrent_runs < 1) {
    std::cerr << name << ": ServeOptions::concurrent_runs must be at least 1, got " << options.concurrent_runs << std::endl;
    return 2;
  }
  std::string address;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--probe-address") == 0 && i + 1 < argc) address = argv[i + 1];
  }
  if (address.empty() && std::getenv("PROBE_ADDRESS") != nullptr) address = std::getenv("PROBE_ADDRESS");
  watch_parent(name);
  if (address.empty()) {
    std::cerr << name << ": no runtime to attach to: run me through 'probe infer --simulator', or give"
              << " --probe-address HOST:PORT (or PROBE_ADDRESS) of a 'probe serve'" << std::endl;
    return 2;
  }
  std::shared_ptr<grpc::Channel> channel;
  try {
    channel = open_channel(address);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << std::endl;
    return 2;
  }
  // A simulator started by hand may come up before the runtime listens: wait for it, within
  // PROBE_CONNECT_TIMEOUT seconds (default 60), instead of failing at the first refused connection.
  double patience = 60;
  if (const char* t = std::getenv("PROBE_CONNECT_TIMEOUT")) patience = std::atof(t);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                 std::chrono::milliseconds(static_cast<long long>(patience * 1000)))) {
    std::cerr << name << ": cannot reach the Probe runtime at " << address << " within " << patience
              << " s (PROBE_CONNECT_TIMEOUT): start 'probe infer --attach' there, or check the address" << std::endl;
    return 3;
  }
  auto stub = pb::Bridge::NewStub(channel);
  grpc::ClientContext context;
  // The inference's secret: the runtime refuses a connection without it (docs/bridge.md).
  std::string token = env("PROBE_BRIDGE_TOKEN");
  if (token.empty()) {
    std::cerr << name << ": PROBE_BRIDGE_TOKEN is not set: give it the token 'probe infer --attach' printed"
              << " (or the content of its --token-file)" << std::endl;
    return 2;
  }
  context.AddMetadata("probe-token", token);
  std::unique_ptr<Stream> stream = stub->Attach(&context);

  pb::SimulatorMessage hello;
  uint32_t protocol = kProtocolVersion;
  // For testing the runtime's version check only: claim another protocol version.
  if (const char* v = std::getenv("PROBE_BRIDGE_PROTOCOL_VERSION")) protocol = static_cast<uint32_t>(std::atoi(v));
  hello.mutable_hello()->set_protocol_version(protocol);
  hello.mutable_hello()->set_simulator_name(name);
  hello.mutable_hello()->set_simulator_version(version);
  hello.mutable_hello()->add_capabilities("self-draw");
  hello.mutable_hello()->add_capabilities("runs-in-flight");
  hello.mutable_hello()->add_capabilities("batch");
  if (options.concurrent_runs > 1) {
    hello.mutable_hello()->add_capabilities("concurrent-runs:" + std::to_string(options.concurrent_runs));
  }
  pb::RuntimeMessage welcome;
  if (!stream->Write(hello) || !stream->Read(&welcome) || !welcome.has_welcome()) {
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    if (welcome.has_error()) {
      std::cerr << name << ": the runtime at " << address << " refused me: " << welcome.error().message() << std::endl;
    } else {
      std::cerr << name << ": cannot attach to the Probe runtime at " << address << ": " << status.error_message() << std::endl;
    }
    return 3;
  }

  Connection connection;
  connection.stream = stream.get();
  // The runs the runtime will give at once: those of its Welcome's concurrent-runs:N (a runtime
  // that does not list it gives one at a time).
  int lanes = 1;
  for (const std::string& c : welcome.welcome().capabilities()) {
    if (c == "batch") connection.batching = true;
    if (c.rfind("concurrent-runs:", 0) == 0) lanes = std::max(1, std::min(options.concurrent_runs, std::atoi(c.c_str() + 16)));
  }
  if (lanes > 1) {
    serve_concurrently(stream.get(), connection.batching, lanes, simulator);
  } else {
    pb::RuntimeMessage message;
    while (true) {
      if (!connection.pending.empty()) {
        message = std::move(connection.pending.front());
        connection.pending.pop_front();
      } else if (!connection.read(&message)) {  // writes what the runs served so far sent, then waits
        break;
      }
      if (!message.has_start()) continue;  // a late error or cancel of a run already over
      std::optional<pb::SimulatorMessage> done = run_once(message.start(), &connection, simulator);
      if (done && !connection.write(std::move(*done))) break;
    }
    connection.flush();
  }
  stream->WritesDone();
  grpc::Status status = stream->Finish();
  if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
    std::cerr << name << ": the connection ended: " << status.error_message() << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace probe
