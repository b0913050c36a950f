#!/usr/bin/env bash
# Installs the Debian packages that the C++ bridge (bridges/cpp) and the C++ simulators
# (models/cpp) build with, where they are missing: as root, or through sudo.
# `scripts/cpp-deps.sh --list` prints them and installs nothing.
set -euo pipefail

debs="libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev cmake g++"
if [ "${1:-}" = "--list" ]; then
  echo "$debs"
  exit 0
fi

exec "$(dirname "${BASH_SOURCE[0]}")/apt-install-missing.sh" $debs
