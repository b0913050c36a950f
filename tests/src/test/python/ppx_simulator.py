"""A PPX simulator for Probe's tests, written for Probe from PPX's schema (bridges/src/main/flatbuffers/ppx.fbs,
whose Python classes the test generates with flatc --python): like pyprob_cpp's simulators it binds a
ZeroMQ REP socket at the address given as its last argument and answers Handshake, then Run after
Run, sending Sample, Observe and Tag requests that the engine answers.

  ppx_simulator.py MODEL ADDRESS
    gaussian          mu ~ Normal(1, sqrt 5); obs0, obs1 ~ Normal(mu, sqrt 2)   (builtin:gaussian)
    branching         the branching model of LANGUAGE.md                        (builtin:branching)
    stall-after N     the Gaussian, silent from the N-th run's first sample on
    garbage           answers Run with bytes that are not a PPX message
"""
import math
import sys
import time

import flatbuffers
import numpy as np
import zmq

from dev.probe.bridge.ppx.wire import (Distribution, Handshake, HandshakeResult, Message, MessageBody, Normal, Observe,
                                       Poisson, Reset, RunResult, Sample, SampleResult, Tag, Tensor)

Body = MessageBody.MessageBody


class Engine:
    """The REP socket: every request of the simulator is a reply to the engine's last message."""

    def __init__(self, address):
        self.socket = zmq.Context().socket(zmq.REP)
        self.socket.bind(address)
        self.runs = 0

    def send(self, b, body_type, body):
        Message.Start(b)
        Message.AddBodyType(b, body_type)
        Message.AddBody(b, body)
        b.Finish(Message.End(b))
        self.socket.send(bytes(b.Output()))

    def receive(self):
        m = Message.Message.GetRootAs(self.socket.recv(), 0)
        return m.BodyType(), m.Body()


def tensor(b, values):
    values = np.atleast_1d(np.asarray(values, dtype=np.float64))
    data = b.CreateNumpyVector(values.ravel())
    shape = b.CreateNumpyVector(np.asarray(values.shape if values.size > 1 else [], dtype=np.int32))
    Tensor.Start(b)
    Tensor.AddData(b, data)
    Tensor.AddShape(b, shape)
    return Tensor.End(b)


def normal(mean, stddev):
    def build(b):
        m, s = tensor(b, mean), tensor(b, stddev)
        Normal.Start(b)
        Normal.AddMean(b, m)
        Normal.AddStddev(b, s)
        return Normal.End(b)
    return Distribution.Distribution.Normal, build


def poisson(rate):
    def build(b):
        r = tensor(b, rate)
        Poisson.Start(b)
        Poisson.AddRate(b, r)
        return Poisson.End(b)
    return Distribution.Distribution.Poisson, build


def result_of(table, cls):
    r = cls()
    r.Init(table.Bytes, table.Pos)
    return r


def sample(engine, distribution, name="", address=""):
    kind, build = distribution
    b = flatbuffers.Builder(256)
    d = build(b)
    n, a = b.CreateString(name), b.CreateString(address)
    Sample.Start(b)
    Sample.AddAddress(b, a)
    Sample.AddName(b, n)
    Sample.AddDistributionType(b, kind)
    Sample.AddDistribution(b, d)
    Sample.AddControl(b, True)
    engine.send(b, Body.Sample, Sample.End(b))
    body_type, table = engine.receive()
    assert body_type == Body.SampleResult, f"expected SampleResult, got {body_type}"
    return result_of(table, SampleResult.SampleResult).Result().DataAsNumpy()[0]


def observe(engine, distribution, name):
    kind, build = distribution
    b = flatbuffers.Builder(256)
    d = build(b)
    n, a = b.CreateString(name), b.CreateString("")
    Observe.Start(b)
    Observe.AddAddress(b, a)
    Observe.AddName(b, n)
    Observe.AddDistributionType(b, kind)
    Observe.AddDistribution(b, d)
    engine.send(b, Body.Observe, Observe.End(b))
    assert engine.receive()[0] == Body.ObserveResult


def tag(engine, name, value):
    b = flatbuffers.Builder(64)
    t, n, a = tensor(b, value), b.CreateString(name), b.CreateString("")
    Tag.Start(b)
    Tag.AddAddress(b, a)
    Tag.AddName(b, n)
    Tag.AddValue(b, t)
    engine.send(b, Body.Tag, Tag.End(b))
    assert engine.receive()[0] == Body.TagResult


def gaussian(engine, stall_at=None):
    mu = sample(engine, normal(1, math.sqrt(5)), name="mu")
    if engine.runs == stall_at:
        time.sleep(3600)
    observe(engine, normal(mu, math.sqrt(2)), "obs0")
    observe(engine, normal(mu, math.sqrt(2)), "obs1")
    return mu


def fib(n):
    return 1 if n < 2 else fib(n - 1) + fib(n - 2)


def branching(engine):
    r = int(sample(engine, poisson(4), name="r"))
    if 4 < r:
        rate = 6
    else:
        rate = 1 + fib(3 * r) + int(sample(engine, poisson(4), address="[branching; ppx_simulator.py:poisson]"))
    tag(engine, "rate", rate)
    observe(engine, poisson(rate), "obs")
    return r


def serve(model, address, garbage=False):
    engine = Engine(address)
    while True:
        body_type, table = engine.receive()
        b = flatbuffers.Builder(64)
        if body_type == Body.Handshake:
            system, name = b.CreateString("probe-test-ppx"), b.CreateString(model.__name__)
            HandshakeResult.Start(b)
            HandshakeResult.AddSystemName(b, system)
            HandshakeResult.AddModelName(b, name)
            engine.send(b, Body.HandshakeResult, HandshakeResult.End(b))
        elif body_type == Body.Run and garbage:
            engine.socket.send(b"this is not a PPX message")
        elif body_type == Body.Run:
            engine.runs += 1
            result = model(engine)
            b = flatbuffers.Builder(64)
            t = tensor(b, result)
            RunResult.Start(b)
            RunResult.AddResult(b, t)
            engine.send(b, Body.RunResult, RunResult.End(b))
        else:
            Reset.Start(b)
            engine.send(b, Body.Reset, Reset.End(b))


if __name__ == "__main__":
    mode, address = sys.argv[1], sys.argv[-1]
    if mode == "branching":
        serve(branching, address)
    elif mode.startswith("stall-after"):
        after = int(sys.argv[2])
        serve(lambda engine: gaussian(engine, after), address)
    else:
        serve(gaussian, address, garbage=mode == "garbage")
