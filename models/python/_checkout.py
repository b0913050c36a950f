"""Lets the example simulators run from a Probe checkout: when the client library is not installed
(pip install bridges/python), it is taken from bridges/python beside this directory."""
import importlib.util
import pathlib
import sys

if importlib.util.find_spec("probe") is None:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "bridges" / "python"))
