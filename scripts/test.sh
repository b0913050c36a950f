#!/usr/bin/env bash
# Runs every test of Probe: unit tests of each module, every engine on every built-in model and
# script against exact posteriors, C++ simulators over the gRPC bridge, and end-to-end tests of the
# ./probe command, and HTML reports in headless Chromium. Needs JDK 17 and Maven; installs the Debian
# packages for the C++ bridge and Chromium when they are missing (as root, or through sudo). Maven fetches the Java dependencies on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "scripts/test.sh: $tool is missing; on Debian: apt-get install openjdk-17-jdk-headless maven" >&2
    exit 1
  fi
done

scripts/cpp-deps.sh

# chromium: the HTML reports are opened in headless Chromium (cli's ReportInBrowserTest).
if ! dpkg -s chromium >/dev/null 2>&1; then
  echo "scripts/test.sh: installing the Debian package the tests need: chromium" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
fi

# verify packages the command before the end-to-end tests in tests/ run it.
exec mvn -B -ntp verify "$@"
