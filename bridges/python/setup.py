"""Builds the Python client with its bridge stubs, generated from bridges/src/main/protobuf/probe/bridge/v1/bridge.proto
by protoc and grpc_python_plugin (Debian: protobuf-compiler-grpc) at build time: pip install bridges/python."""
import importlib.util
import pathlib

from setuptools import setup

HERE = pathlib.Path(__file__).resolve().parent


def _stubs():
    spec = importlib.util.spec_from_file_location("probe_stubs", HERE / "probe" / "_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Into probe/bridge/v1, which pyproject.toml lists as a package: before setuptools looks for it. A
# source tree without bridge.proto beside it (an sdist) carries the stubs already.
stubs = _stubs()
if (stubs.PROTO_ROOT / stubs.PROTO).is_file():
    stubs.generate(HERE)

setup()
