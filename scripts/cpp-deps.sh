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

missing=""
for p in $debs; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "scripts/cpp-deps.sh: installing the C++ bridge's Debian packages:$missing" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
