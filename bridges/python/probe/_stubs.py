"""The bridge protocol's Python stubs, generated from bridge.proto by protoc and grpc_python_plugin.

An installed package carries them (setup.py generates them at build time). In a checkout they are
generated on first import, next to this package when it is writable, else in a cache directory,
and again whenever bridge.proto is newer. This module uses the standard library only, so that
setup.py can run it before anything is installed.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

PACKAGE = pathlib.Path(__file__).resolve().parent
# In a checkout: bridges/python/probe -> bridges/src/main/protobuf
PROTO_ROOT = PACKAGE.parent.parent / "src" / "main" / "protobuf"
PROTO = pathlib.Path("probe") / "bridge" / "v1" / "bridge.proto"
GENERATED = ("bridge_pb2.py", "bridge_pb2_grpc.py")


def generate(out_root, proto_root=PROTO_ROOT):
    """Writes probe/bridge/v1/bridge_pb2{,_grpc}.py under out_root; raises RuntimeError naming the fix."""
    source = pathlib.Path(proto_root) / PROTO
    if not source.is_file():
        raise RuntimeError(f"probe: {source} is missing: generate the stubs from a Probe checkout")
    protoc = shutil.which("protoc")
    plugin = shutil.which("grpc_python_plugin")
    if protoc is None or plugin is None:
        raise RuntimeError("probe: the bridge's Python stubs need protoc and grpc_python_plugin:"
                           " on Debian, apt-get install protobuf-compiler-grpc")
    out_root = pathlib.Path(out_root)
    target = out_root / PROTO.parent
    target.mkdir(parents=True, exist_ok=True)
    # Generate aside and move into place, so that simulators starting together never read half a file.
    with tempfile.TemporaryDirectory(dir=out_root) as tmp:
        done = subprocess.run([protoc, f"-I{proto_root}", f"--python_out={tmp}", f"--grpc_python_out={tmp}",
                               f"--plugin=protoc-gen-grpc_python={plugin}", str(PROTO)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"probe: protoc failed on {source}: {done.stderr.strip()}")
        for name in GENERATED:
            os.replace(pathlib.Path(tmp) / PROTO.parent / name, target / name)


def _fresh(root):
    source = PROTO_ROOT / PROTO
    files = [pathlib.Path(root) / PROTO.parent / name for name in GENERATED]
    if not all(f.is_file() for f in files):
        return False
    # An installed package has no bridge.proto beside it: what it carries is current by construction.
    return not source.is_file() or all(f.stat().st_mtime >= source.stat().st_mtime for f in files)


def ensure(package_path):
    """Makes probe.bridge.v1 importable, generating the stubs when missing or stale; extends package_path."""
    if _fresh(PACKAGE.parent):
        return
    if os.access(PACKAGE, os.W_OK):
        generate(PACKAGE.parent)
        return
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "probe" / "python-stubs"
    if not _fresh(cache):
        cache.mkdir(parents=True, exist_ok=True)
        generate(cache)
    package_path.append(str(cache / "probe"))


if __name__ == "__main__":
    generate(sys.argv[1] if len(sys.argv) > 1 else PACKAGE.parent)
