"""The client side of Probe's bridge protocol (probe.bridge.v1): one bidirectional gRPC stream per
simulator process, lock-step within a run. The same behaviour as the C++ client (bridges/cpp)."""
import collections
import math
import os
import queue
import sys
import threading
import time
import traceback

try:
    import grpc
    import numpy as np
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(f"probe: the Python client needs grpcio, protobuf and numpy ({e}); on Debian:"
                      f" apt-get install python3-grpcio python3-protobuf python3-numpy, and run /usr/bin/python3"
                      f" (this is {sys.executable})") from e

from . import _stubs

_stubs.ensure(sys.modules[__package__].__path__)

from .bridge.v1 import bridge_pb2 as pb  # noqa: E402  (generated just above when missing)
from .bridge.v1 import bridge_pb2_grpc as pb_grpc  # noqa: E402

PROTOCOL_VERSION = 2

# The runtime's distribution kinds, in the order of its registry (dev.probe.runtime.distribution.
# DistributionKind, which `java -cp runtime/target/classes dev.probe.runtime.distribution.DistributionKind`
# prints); PythonSimulatorTest checks this list and each constructor's parameters against it.
KINDS = ("Normal", "Uniform", "TruncatedNormal", "LogNormal", "Exponential", "Gamma", "Beta", "Bernoulli", "Binomial",
         "Poisson", "Categorical", "Dirichlet", "MultivariateNormal", "Mixture")


class Distribution:
    """A distribution of the runtime, by kind, parameters (numpy arrays) and, for a Mixture, components."""

    __slots__ = ("kind", "params", "components")

    def __init__(self, kind, params, components=()):
        self.kind = kind
        self.params = [np.asarray(p) for p in params]
        self.components = list(components)

    def __repr__(self):
        inner = [repr(p.tolist()) for p in self.params] + [repr(c) for c in self.components]
        return f"{self.kind}({', '.join(inner)})"

    def is_array(self):
        """Whether a value is an array (the runtime's rule for its kinds)."""
        if self.kind in ("Dirichlet", "MultivariateNormal"):
            return True
        if self.kind == "Categorical":
            return False
        if self.kind == "Mixture":
            return bool(self.components) and self.components[0].is_array()
        return any(p.ndim > 0 for p in self.params)

    def value_shape(self):
        """The shape of one value: () for a scalar; the parameters' shape for an array of draws."""
        if self.kind == "Mixture":
            return self.components[0].value_shape() if self.components else ()
        if self.kind in ("Dirichlet", "MultivariateNormal"):
            return (self.params[0].size,) if self.params else ()
        if self.kind == "Categorical" or not self.params:
            return ()
        return self.params[0].shape


class RunAborted(BaseException):
    """Raised inside a run that the runtime aborted (an error or a cancel): let it propagate.

    A BaseException, like KeyboardInterrupt, so that a simulator's own `except Exception` does not
    swallow it."""


# -- tensors -------------------------------------------------------------------------------------

def _to_tensor(value, t):
    """Writes a number, a boolean or a numpy array (any shape) into tensor t, keeping dtype and shape."""
    a = np.asarray(value)
    kind = a.dtype.kind
    if kind == "b":
        t.dtype = pb.Tensor.BOOL
        t.b.extend(a.ravel().tolist())
    elif kind in "iu":
        t.dtype = pb.Tensor.INT64
        t.i64.extend(a.astype(np.int64, copy=False).ravel().tolist())
    elif kind == "f" and a.dtype == np.float32:
        t.dtype = pb.Tensor.FLOAT32
        t.f32.extend(a.ravel().tolist())
    elif kind == "f":
        t.dtype = pb.Tensor.FLOAT64
        t.f64.extend(a.astype(np.float64, copy=False).ravel().tolist())
    else:
        raise TypeError(f"probe: cannot send {value!r} (dtype {a.dtype}) to the runtime:"
                        f" give numbers, booleans or numpy arrays of them")
    t.shape.extend(a.shape)
    return t


_NUMPY = {pb.Tensor.FLOAT64: (np.float64, "f64"), pb.Tensor.INT64: (np.int64, "i64"), pb.Tensor.BOOL: (np.bool_, "b"),
          pb.Tensor.FLOAT32: (np.float32, "f32")}


def _from_tensor(t, shape=None):
    """A tensor as a Python scalar (empty shape) or a numpy array, reshaped to shape when that fits."""
    dtype, field = _NUMPY.get(t.dtype, (np.float64, "f64"))
    a = np.array(getattr(t, field), dtype=dtype)
    if not t.shape:
        return a[0].item() if a.size == 1 else a
    a = a.reshape(tuple(t.shape))
    if shape is not None and len(shape) > 0 and tuple(shape) != a.shape and a.size == int(np.prod(shape)):
        a = a.reshape(shape)
    return a


def _write_distribution(d, out):
    if not isinstance(d, Distribution):
        raise TypeError(f"probe: {d!r} is not a distribution: use probe.Normal(...) and the like")
    out.kind = d.kind
    for p in d.params:
        _to_tensor(p, out.params.add())
    for c in d.components:
        _write_distribution(c, out.components.add())


# -- the run in progress -------------------------------------------------------------------------

class _Connection:
    """The stream: messages go out through a queue that gRPC drains; replies are read in order (a
    batch unpacked). On a batching connection (the runtime's Welcome listed "batch") the messages
    that wait for nothing are kept and go out in one frame with the next that waits, or when the
    simulator has served the runs in flight."""

    def __init__(self, channel, metadata):
        self._outbox = queue.SimpleQueue()
        # StartRuns that arrived during a run (several runs in flight): served next, in order.
        self.pending = collections.deque()
        self._inbox = collections.deque()
        self._frame = []
        self.batching = False
        self._replies = pb_grpc.BridgeStub(channel).Attach(self._requests(), metadata=metadata)

    def _requests(self):
        while True:
            m = self._outbox.get()
            if m is None:
                return
            yield m

    def send(self, m, waits=False):
        if not self.batching:
            self._outbox.put(m)
            return
        self._frame.append(m)
        if waits or len(self._frame) >= 256:
            self.flush()

    def flush(self):
        if not self._frame:
            return
        if len(self._frame) == 1:
            self._outbox.put(self._frame[0])
        else:
            frame = pb.SimulatorMessage()
            frame.batch.messages.extend(self._frame)
            self._outbox.put(frame)
        self._frame = []

    def receive(self):
        """The runtime's next message, or None when it closed the stream; grpc.RpcError on failure."""
        while not self._inbox:
            self.flush()
            m = next(self._replies, None)
            if m is None or m.WhichOneof("kind") != "batch":
                return m
            self._inbox.extend(m.batch.messages)
        return self._inbox.popleft()

    def answer(self, run_id):
        """The runtime's next message for the run in progress (a Value, an Error or a Cancel); keeps
        the StartRuns that arrive meanwhile (capability runs-in-flight) to serve them next."""
        while True:
            try:
                reply = self.receive()
            except grpc.RpcError as e:
                raise RunAborted(f"the connection to the runtime failed: {e.details()}") from None
            if reply is None:
                raise RunAborted("the runtime closed the connection")
            if reply.WhichOneof("kind") != "start":
                return reply
            self.pending.append(reply)

    def read_frame(self):
        """The runtime's next frame, as sent (a batch not unpacked), or None when it closed the stream."""
        return next(self._replies, None)

    def close(self):
        self.flush()
        self._outbox.put(None)


class _Multiplexer:
    """One stream serving several runs at the same time (capability concurrent-runs:N), each on a
    lane: a thread of its own calling the simulator. The serving thread reads; StartRuns queue for
    the first free lane, every other message goes to the lane of its run id. Writes are serialised;
    on a batching connection they gather in one frame that goes out when a run waits or a lane has
    nothing to do."""

    def __init__(self, connection, lanes):
        self._connection = connection
        self._write = threading.Lock()
        self._lock = threading.Lock()
        self._starts = queue.Queue()
        self._runs = {}
        self._lanes = lanes

    def send(self, m, waits=False):
        with self._write:
            self._connection.send(m, waits)

    def flush(self):
        with self._write:
            self._connection.flush()

    def next_start(self, lane):
        """The next StartRun for lane (flushing what waits first when there is none yet), or None once the stream is gone."""
        if self._starts.empty():
            self.flush()
        start = self._starts.get()
        if start is not None:
            with self._lock:
                self._runs[start.start.run_id] = lane
        return start

    def done(self, run_id):
        with self._lock:
            self._runs.pop(run_id, None)

    def read_all(self):
        """Reads until the runtime closes the stream, handing each message to its lane; then ends the lanes."""
        try:
            while True:
                frame = self._connection.read_frame()
                if frame is None:
                    return
                for m in (frame.batch.messages if frame.WhichOneof("kind") == "batch" else (frame,)):
                    self._deliver(m)
        finally:
            with self._lock:
                lanes = list(self._runs.values())
                self._runs.clear()
            for lane in lanes:
                lane.inbox.put(None)
            for _ in range(self._lanes):
                self._starts.put(None)

    def _deliver(self, m):
        kind = m.WhichOneof("kind")
        if kind == "start":
            self._starts.put(m)
            return
        run_id = getattr(m, kind).run_id if kind in ("value", "cancel", "error") else 0
        with self._lock:
            lane = self._runs.get(run_id)
        if lane is not None:  # else a late error or cancel of a run already over
            lane.inbox.put(m)


class _Lane:
    """A thread of a _Multiplexer serving runs one at a time, and what the runtime sent its run."""

    def __init__(self, mux):
        self.mux = mux
        self.inbox = queue.SimpleQueue()

    def send(self, m, waits=False):
        self.mux.send(m, waits)

    def answer(self, run_id):
        reply = self.inbox.get()
        if reply is None:
            raise RunAborted("the runtime closed the connection")
        return reply

    def serve(self, simulator):
        while True:
            self.inbox = queue.SimpleQueue()  # nothing left over from the last run
            start = self.mux.next_start(self)
            if start is None:
                return
            done = _run(simulator, _Session(self, start.start))
            if done is not None:
                self.mux.send(done)
            self.mux.done(start.start.run_id)


_MASK = (1 << 64) - 1


class _Rng:
    """The generator of self-drawn runs, as the C++ client's: xoroshiro128++, its state the next two
    outputs of SplitMix64 started at the run's seed; uniforms of 53 bits; normals by Box-Muller (one
    per pair of uniforms). The same seed gives the same values in either client."""

    __slots__ = ("s0", "s1")

    def __init__(self, seed):
        state = seed & _MASK
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        self.s0 = _splitmix(state)
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        self.s1 = _splitmix(state)
        if self.s0 == 0 and self.s1 == 0:
            self.s1 = 1

    def next(self):
        s0, s1 = self.s0, self.s1
        r = (_rotl((s0 + s1) & _MASK, 17) + s0) & _MASK
        t = s1 ^ s0
        self.s0 = _rotl(s0, 49) ^ t ^ ((t << 21) & _MASK)
        self.s1 = _rotl(t, 28)
        return r

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log1p(-u1)) * math.cos(2.0 * math.pi * u2)


def _rotl(x, k):
    return ((x << k) & _MASK) | (x >> (64 - k))


def _splitmix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def _gamma(rng, shape):
    """Gamma(shape, 1) by Marsaglia and Tsang; below shape 1, Gamma(shape + 1) times u^(1 / shape) (u drawn first)."""
    if shape < 1:
        u = 1.0 - rng.uniform()
        return _gamma(rng, shape + 1) * u ** (1.0 / shape)
    d = shape - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        while True:
            x = rng.normal()
            v = 1.0 + c * x
            if v > 0:
                break
        v = v * v * v
        u = 1.0 - rng.uniform()
        if math.log(u) < 0.5 * x * x + d - d * v + d * math.log(v):
            return d * v


def _poisson(rng, rate):
    """Poisson: Knuth's product of uniforms below rate 10, Hoermann's transformed rejection (PTRS) above."""
    if rate < 10:
        limit = math.exp(-rate)
        p = 1.0
        k = 0
        while True:
            p *= rng.uniform()
            if p <= limit:
                return k
            k += 1
    slam = math.sqrt(rate)
    loglam = math.log(rate)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = rng.uniform() - 0.5
        v = rng.uniform()
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + rate + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= -rate + k * loglam - math.lgamma(k + 1):
            return k


def _categorical(rng, weights):
    """The index of a weight, with probability proportional to it; None for weights the runtime refuses."""
    if not all(x >= 0 and math.isfinite(x) for x in weights) or not sum(weights) > 0:
        return None
    u = rng.uniform() * sum(weights)
    last = None
    for i, x in enumerate(weights):
        if x <= 0:
            continue
        last = i
        u -= x
        if u < 0:
            return i
    return last


def _draw_scalar(kind, p, rng):
    """A scalar of a kind whose parameters are the floats p (one element of an array of draws)."""
    if kind == "Normal" and len(p) == 2:
        return p[0] + p[1] * rng.normal()
    if kind == "Uniform" and len(p) == 2:
        return p[0] + (p[1] - p[0]) * rng.uniform()
    if kind == "LogNormal" and len(p) == 2:
        return math.exp(p[0] + p[1] * rng.normal())
    if kind == "Exponential" and len(p) == 1:
        return -math.log1p(-rng.uniform()) / p[0]
    if kind == "Bernoulli" and len(p) == 1:
        return rng.uniform() < p[0]
    if kind == "Gamma" and len(p) == 2 and p[0] > 0 and p[1] > 0:
        return _gamma(rng, p[0]) / p[1]
    if kind == "Beta" and len(p) == 2 and p[0] > 0 and p[1] > 0:
        x = _gamma(rng, p[0])
        y = _gamma(rng, p[1])
        return x / (x + y)
    if kind == "Poisson" and len(p) == 1 and 0 <= p[0] < 1e9:
        return _poisson(rng, p[0])
    if kind == "TruncatedNormal" and len(p) == 4 and p[1] > 0 and p[2] < p[3]:
        # By rejection from the normal; an interval so far in a tail that 10,000 tries miss it is asked of the runtime.
        for _ in range(10000):
            x = p[0] + p[1] * rng.normal()
            if p[2] <= x <= p[3]:
                return x
        return None
    if kind == "Binomial" and len(p) == 2 and p[0] >= 0 and p[0] == math.floor(p[0]) and 0 <= p[1] <= 1:
        # Geometric waiting times between successes: about n min(p, 1 - p) + 1 uniforms.
        n = p[0]
        q = min(p[1], 1 - p[1])
        if n * q > 1e7:
            return None
        k = 0
        if q > 0:
            log_q = math.log1p(-q)
            at = 0.0
            while True:
                at += math.floor(math.log1p(-rng.uniform()) / log_q) + 1
                if at > n:
                    break
                k += 1
        return int(n) - k if p[1] > 0.5 else k
    return None


_ARRAY_DTYPES = {"Bernoulli": np.bool_, "Poisson": np.int64, "Normal": np.float64, "Uniform": np.float64}


def _draw(d, rng):
    """A value drawn from d by the run's generator, as the C++ client draws it: every kind of the
    runtime, the broadcasting ones (Normal, Uniform, Bernoulli, Poisson) with array parameters too
    (arrays of one shape, or scalars), element by element in order. None where the parameters are
    not those the runtime accepts (it is then asked, and names the fault) or a sampler gives up
    (TruncatedNormal far in a tail, Binomial with n min(p, 1 - p) over 10^7)."""
    if d.kind == "Mixture":
        if len(d.params) != 1 or d.params[0].size != len(d.components):
            return None
        k = _categorical(rng, [float(x) for x in d.params[0].ravel()])
        return None if k is None else _draw(d.components[k], rng)
    if d.components:
        return None
    if d.kind == "Categorical":
        return None if len(d.params) != 1 else _categorical(rng, [float(x) for x in d.params[0].ravel()])
    if d.kind == "Dirichlet":
        if len(d.params) != 1 or d.params[0].size == 0:
            return None
        alphas = [float(x) for x in d.params[0].ravel()]
        if not all(a > 0 for a in alphas):
            return None
        x = [_gamma(rng, a) for a in alphas]
        total = sum(x)
        return np.array([v / total for v in x])
    if d.kind == "MultivariateNormal":
        if len(d.params) != 2:
            return None
        mean = [float(x) for x in d.params[0].ravel()]
        cov = [float(x) for x in d.params[1].ravel()]
        n = len(mean)
        if n == 0 or len(cov) != n * n:
            return None
        # Cholesky factor of the covariance, row by row, as the C++ client computes it.
        low = [0.0] * (n * n)
        for i in range(n):
            for j in range(i + 1):
                total = cov[i * n + j]
                for k in range(j):
                    total -= low[i * n + k] * low[j * n + k]
                if i == j:
                    if not total > 0:
                        return None
                    low[i * n + i] = math.sqrt(total)
                else:
                    low[i * n + j] = total / low[j * n + j]
        z = [rng.normal() for _ in range(n)]
        x = list(mean)
        for i in range(n):
            for k in range(i + 1):
                x[i] += low[i * n + k] * z[k]
        return np.array(x)
    shapes = {p.shape for p in d.params if p.ndim > 0}
    if not shapes:
        return _draw_scalar(d.kind, [float(x) for x in d.params], rng)
    if len(shapes) != 1 or d.kind not in _ARRAY_DTYPES:
        return None
    (shape,) = shapes
    flat = [p.ravel() if p.ndim > 0 else None for p in d.params]
    out = []
    for i in range(int(np.prod(shape))):
        v = _draw_scalar(d.kind, [float(p) if f is None else float(f[i]) for p, f in zip(d.params, flat)], rng)
        if v is None:
            return None
        out.append(v)
    return np.array(out, dtype=_ARRAY_DTYPES[d.kind]).reshape(shape)


class _Session:
    __slots__ = ("connection", "run_id", "observations", "occurrences", "rng")

    def __init__(self, connection, start):
        self.connection = connection
        self.run_id = start.run_id
        self.observations = {nv.name: nv.value for nv in start.observations}
        self.occurrences = {}
        # Set in a self-drawn run: the generator its choices come from.
        self.rng = _Rng(start.seed) if start.self_draw else None


_local = threading.local()


def _session():
    s = getattr(_local, "session", None)
    if s is None:
        raise RuntimeError("probe.sample/observe called outside a run: call them from the simulator passed to probe.serve")
    return s


def _exchange(m, wants_value, shape=None):
    """Sends a message and, for those the runtime answers, waits for its value."""
    s = _session()
    s.connection.send(m, wants_value)
    if not wants_value:
        return None
    reply = s.connection.answer(s.run_id)
    kind = reply.WhichOneof("kind")
    if kind == "value" and reply.value.run_id == s.run_id:
        return _from_tensor(reply.value.value, shape)
    if kind == "error":
        raise RunAborted(f"the runtime stopped the run: {reply.error.message}")
    if kind == "cancel":
        raise RunAborted(f"the runtime cancelled the run: {reply.cancel.reason}")
    raise RunAborted("unexpected message from the runtime during a run")


_sites = {}


def _site(frame):
    """function@file:line:column of the call in frame: the file's base name, so that the address does
    not depend on where the source lives; the column (1-based) where the interpreter gives one (3.11+)."""
    code = frame.f_code
    key = (code, frame.f_lasti)
    site = _sites.get(key)
    if site is None:
        line, column = frame.f_lineno, None
        if hasattr(code, "co_positions"):
            for i, position in enumerate(code.co_positions()):
                if i == frame.f_lasti // 2:
                    line = position[0] or line
                    column = None if position[2] is None else position[2] + 1
                    break
        function = getattr(code, "co_qualname", code.co_name)
        site = f"{function}@{os.path.basename(code.co_filename)}:{line}" + ("" if column is None else f":{column}")
        _sites[key] = site
    return site


# -- the simulator's calls -----------------------------------------------------------------------

def sample(d, name=None, control=True):
    """A random choice: addressed by its place in the source, or by name (then reported under it);
    control=False: never proposed nor moved by the engine. Returns a Python scalar or a numpy array
    shaped like the distribution's parameters."""
    m = pb.SimulatorMessage()
    s = m.sample
    s.run_id = _session().run_id
    _write_distribution(d, s.distribution)
    if name is None:
        s.address = _site(sys._getframe(1))
    else:
        s.name = name
    s.uncontrolled = not control
    rng = _session().rng
    if rng is not None:
        v = _draw(d, rng)
        if v is not None:
            _to_tensor(v, s.value)
            _exchange(m, False)
            return v
    return _exchange(m, True, d.value_shape())


def _slice(t, k):
    """Element k along the first dimension of a tensor of rank 1 or 2, as a tensor."""
    out = pb.Tensor(dtype=t.dtype)
    width = t.shape[1] if len(t.shape) == 2 else 1
    if len(t.shape) == 2:
        out.shape.append(width)
    field = _NUMPY.get(t.dtype, (None, "f64"))[1]
    getattr(out, field).extend(getattr(t, field)[k * width:(k + 1) * width])
    return out


def _given(d, t, k):
    """The given value for occurrence k of an observation, by the runtime's rule: for a scalar
    distribution a scalar is occurrence 0 and a vector holds one per occurrence; for an array-valued
    one a vector is occurrence 0 and a matrix holds one row per occurrence. None when unsure: the
    runtime is asked instead."""
    array, rank = d.is_array(), len(t.shape)
    if not array and rank == 0 and k == 0:
        return t
    if not array and rank == 1 and k < t.shape[0]:
        return _slice(t, k)
    if array and rank == 1 and k == 0:
        return t
    if array and rank == 2 and k < t.shape[0]:
        return _slice(t, k)
    return None


def observe(d, name):
    """Conditions on the value the runtime has for name (simulated under prior sampling); returns it."""
    s = _session()
    k = s.occurrences.get(name, 0)
    s.occurrences[name] = k + 1
    m = pb.SimulatorMessage()
    o = m.observe
    o.run_id = s.run_id
    _write_distribution(d, o.distribution)
    o.name = name
    t = s.observations.get(name)
    given = None if t is None else _given(d, t, k)
    if given is not None:
        # Pipelined: use the given value now; the runtime checks it and sends nothing back.
        o.pipelined = True
        o.value.CopyFrom(given)
        _exchange(m, False)
        return _from_tensor(given, d.value_shape())
    if s.rng is not None:
        # No value given: in a self-drawn run the simulator simulates the observation itself.
        v = _draw(d, s.rng)
        if v is not None:
            o.pipelined = True
            o.drawn = True
            _to_tensor(v, o.value)
            _exchange(m, False)
            return v
    return _exchange(m, True, d.value_shape())


def observe_value(d, value):
    """Conditions on a value fixed in the simulator (a number or a numpy array)."""
    m = pb.SimulatorMessage()
    o = m.observe
    o.run_id = _session().run_id
    _write_distribution(d, o.distribution)
    _to_tensor(value, o.value)
    return _exchange(m, True, d.value_shape())


def tag(name, value):
    """Records a deterministic value (a number or a numpy array) under name."""
    m = pb.SimulatorMessage()
    m.tag.run_id = _session().run_id
    m.tag.name = name
    _to_tensor(value, m.tag.value)
    _exchange(m, False)


def factor(log_weight):
    """Adds log_weight to the run's log weight."""
    m = pb.SimulatorMessage()
    m.factor.run_id = _session().run_id
    m.factor.log_weight = float(log_weight)
    _exchange(m, False)


def _loop_begin(name):
    m = pb.SimulatorMessage()
    m.loop_begin.run_id = _session().run_id
    m.loop_begin.name = name
    if _session().rng is not None:
        # A self-drawn run runs its loops itself, to the first accepted iteration, and waits for nothing.
        _exchange(m, False)
        return True
    return bool(_exchange(m, True))


def _loop_end(accepted):
    m = pb.SimulatorMessage()
    m.loop_end.run_id = _session().run_id
    m.loop_end.accepted = accepted
    if _session().rng is not None:
        _exchange(m, False)
        return not accepted
    return bool(_exchange(m, True))


_NOTHING = object()


def rejection(name, body, accept):
    """A rejection-sampling loop, marked so that the runtime can treat it as one: runs body() until
    accept(result) holds and returns the first accepted result. The runtime decides how many
    iterations run (inference compilation runs extra ones, whose results are discarded), so body must
    have no effect outside its result and must not observe, tag or factor."""
    kept = _NOTHING
    again = _loop_begin(name)
    while again:
        value = body()
        ok = bool(accept(value))
        if ok and kept is _NOTHING:
            kept = value
        again = _loop_end(ok)
    if kept is _NOTHING:
        raise RuntimeError(f"probe.rejection: the runtime ended loop '{name}' before an accepted iteration")
    return kept


# -- serving -------------------------------------------------------------------------------------

def _address(argv):
    for i, arg in enumerate(argv[1:], start=1):
        if arg == "--probe-address" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--probe-address="):
            return arg.split("=", 1)[1]
    return os.environ.get("PROBE_ADDRESS", "")


def _process_identity(pid):
    """The identity (start time) of process pid from /proc, None when it is gone or a zombie;
    where /proc is not mounted, "?" for a live process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            line = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return "?"
    # The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    fields = line[line.rfind(")") + 1:].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _watch_parent(name):
    """A simulator the runtime started (PROBE_PARENT_PID, set by 'probe infer --simulator' and by a
    cluster's tasks) ends when that process ends, even killed with SIGKILL, instead of waiting out
    PROBE_CONNECT_TIMEOUT or a stream that no longer leads anywhere: it checks five times a second."""
    try:
        parent = int(os.environ.get("PROBE_PARENT_PID", "0"))
    except ValueError:
        return
    if parent <= 1:
        return
    identity = _process_identity(parent)

    def gone():
        try:
            _say(name, f"the Probe runtime that started me (pid {parent}) is gone: exiting")
        except OSError:
            pass  # the runtime read our standard error: the pipe may be gone with it
        os._exit(3)

    if identity is None:
        gone()

    def watch():
        while True:
            time.sleep(0.2)
            if _process_identity(parent) != identity:
                gone()

    threading.Thread(target=watch, name="probe-parent-watch", daemon=True).start()


def _say(name, text):
    print(f"{name}: {text}", file=sys.stderr, flush=True)


# The largest message either side accepts, as the runtime's BridgeServer.MAX_MESSAGE_BYTES.
MAX_MESSAGE_BYTES = 64 << 20


def _channel(address):
    """The channel to the runtime: TLS trusting the CA certificate in PROBE_BRIDGE_TLS_CA (a PEM
    file) when that is set, with PROBE_BRIDGE_TLS_SERVER_NAME overriding the name the certificate
    must carry; plain otherwise (the runtime refuses plain connections beyond loopback)."""
    options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
               ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    ca_file = os.environ.get("PROBE_BRIDGE_TLS_CA")
    if not ca_file:
        return grpc.insecure_channel(address, options=options)
    with open(ca_file, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    server_name = os.environ.get("PROBE_BRIDGE_TLS_SERVER_NAME")
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return grpc.secure_channel(address, credentials, options=options)


def serve(name, version, simulator, argv=None, concurrent_runs=1):
    """Connects to the runtime and serves runs until the runtime closes the stream: one call of
    simulator() is one run, its return value (a number, a numpy array or None) the run's result.
    Returns the process exit code: 0 when the runtime finished with it, non-zero after an error
    (printed to stderr). Use it as sys.exit(probe.serve(...)).

    concurrent_runs: runs served at the same time, each on a thread of its own calling simulator():
    with more than one, the runtime may give this connection up to that many runs whose choices it
    decides (rmh, smc, ic), so that a simulator that waits (on the runtime, on I/O, on code that
    releases the GIL) keeps several runs busy. simulator must then be safe to call from several
    threads at once (no shared mutable state without a lock)."""
    if not isinstance(concurrent_runs, int) or concurrent_runs < 1:
        raise ValueError(f"probe.serve: concurrent_runs must be a whole number of at least 1, got {concurrent_runs!r}")
    address = _address(sys.argv if argv is None else argv)
    _watch_parent(name)
    if not address:
        _say(name, "no runtime to attach to: run me through 'probe infer --simulator', or give"
                   " --probe-address HOST:PORT (or PROBE_ADDRESS) of a 'probe infer --attach'")
        return 2
    token = os.environ.get("PROBE_BRIDGE_TOKEN")
    metadata = (("probe-token", token),) if token else None
    try:
        channel = _channel(address)
    except OSError as e:
        _say(name, f"cannot read the CA certificate named by PROBE_BRIDGE_TLS_CA: {e}")
        return 2
    with channel:
        # A simulator started by hand may come up before the runtime listens: wait for it, within
        # PROBE_CONNECT_TIMEOUT seconds (default 60), instead of failing at the first refused connection.
        patience = float(os.environ.get("PROBE_CONNECT_TIMEOUT", "60"))
        try:
            grpc.channel_ready_future(channel).result(timeout=patience)
        except grpc.FutureTimeoutError:
            _say(name, f"cannot reach the Probe runtime at {address} within {patience:g} s (PROBE_CONNECT_TIMEOUT):"
                       " start 'probe infer --attach' there, or check the address")
            return 3
        connection = _Connection(channel, metadata)
        try:
            return _serve(name, version, simulator, connection, address, concurrent_runs)
        finally:
            connection.close()


def _serve(name, version, simulator, connection, address, concurrent_runs):
    hello = pb.SimulatorMessage()
    # For testing the runtime's version check only: claim another protocol version.
    hello.hello.protocol_version = int(os.environ.get("PROBE_BRIDGE_PROTOCOL_VERSION", PROTOCOL_VERSION))
    hello.hello.simulator_name = name
    hello.hello.simulator_version = version
    hello.hello.capabilities.extend(["self-draw", "runs-in-flight", "batch"])
    if concurrent_runs > 1:
        hello.hello.capabilities.append(f"concurrent-runs:{concurrent_runs}")
    connection.send(hello)
    try:
        welcome = connection.receive()
    except grpc.RpcError as e:
        _say(name, f"cannot reach the Probe runtime at {address}: {e.details()}")
        return 3
    if welcome is None or welcome.WhichOneof("kind") != "welcome":
        why = f": {welcome.error.message}" if welcome is not None and welcome.WhichOneof("kind") == "error" else ""
        _say(name, f"the runtime at {address} refused me{why}")
        return 3
    connection.batching = "batch" in welcome.welcome.capabilities
    # The runs the runtime will give at once: those of its Welcome's concurrent-runs:N (a runtime
    # that does not list it gives one at a time).
    lanes = 1
    for c in welcome.welcome.capabilities:
        if c.startswith("concurrent-runs:"):
            lanes = max(1, min(concurrent_runs, int(c.split(":", 1)[1])))
    if lanes > 1:
        return _serve_concurrently(name, simulator, connection, lanes)
    try:
        while True:
            message = connection.pending.popleft() if connection.pending else connection.receive()
            if message is None:
                return 0
            if message.WhichOneof("kind") != "start":
                continue  # a late error or cancel of a run already over
            done = _run(simulator, _Session(connection, message.start))
            if done is not None:
                connection.send(done)
    except grpc.RpcError as e:
        if e.code() == grpc.StatusCode.CANCELLED:
            return 0
        _say(name, f"the connection ended: {e.details()}")
        return 1


def _serve_concurrently(name, simulator, connection, lanes):
    mux = _Multiplexer(connection, lanes)
    threads = [threading.Thread(target=_Lane(mux).serve, args=(simulator,), name=f"probe-lane-{i}", daemon=True)
               for i in range(lanes)]
    for t in threads:
        t.start()
    try:
        mux.read_all()
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.CANCELLED:
            _say(name, f"the connection ended: {e.details()}")
            return 1
    finally:
        for t in threads:
            t.join()
    return 0


def _run(simulator, session):
    """One run: its RunResult, its Error, or None when the runtime aborted it."""
    _local.session = session
    done = pb.SimulatorMessage()
    try:
        result = simulator()
        done.result.run_id = session.run_id
        if result is not None:
            _to_tensor(result, done.result.value)
    except RunAborted:
        return None  # the runtime knows why; wait for the next run
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        done.Clear()
        done.error.code = pb.Error.SIMULATOR
        done.error.run_id = session.run_id
        done.error.message = f"{type(e).__name__}: {e}"
    finally:
        _local.session = None
    return done
