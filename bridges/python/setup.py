"""Builds the Python client with its bridge stubs, generated from bridges/src/main/protobuf/probe/bridge/v1/bridge.proto
by protoc and grpc_python_plugin (Debian: protobuf-compiler-grpc) at build time: pip install bridges/python."""
import importlib.util
import pathlib

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent


def _stubs():
    spec = importlib.util.spec_from_file_location("probe_stubs", HERE / "probe" / "_stubs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithStubs(build_py):
    def run(self):
        _stubs().generate(HERE)  # into probe/bridge/v1, which the package lists
        super().run()


setup(cmdclass={"build_py": BuildWithStubs})
