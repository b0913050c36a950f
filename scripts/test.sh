#!/usr/bin/env bash
# Runs every test of Probe: unit tests of each module, every engine on every built-in model and
# script against exact posteriors, C++ simulators over the gRPC bridge, and end-to-end tests of the
# ./probe command, Python and PPX simulators, and HTML reports in headless Chromium. Needs JDK 17
# and Maven; installs the Debian packages for the C++ and Python bridges, the PPX test simulator and
# Chromium when they are missing (as root, or through sudo). Maven fetches the Java dependencies on
# first use. The Python tests run Debian's /usr/bin/python3 (PROBE_TEST_PYTHON names another
# interpreter with the same packages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "scripts/test.sh: $tool is missing; on Debian: apt-get install openjdk-17-jdk-headless maven" >&2
    exit 1
  fi
done

scripts/cpp-deps.sh

# The Python bridge and the PPX test simulator; chromium opens the HTML reports (ReportInBrowserTest).
debs="python3-grpcio python3-protobuf python3-numpy python3-pip python3-venv python3-zmq python3-flatbuffers"
debs="$debs flatbuffers-compiler chromium"
scripts/apt-install-missing.sh $debs

# verify packages the command before the end-to-end tests in tests/ run it.
exec mvn -B -ntp verify "$@"
