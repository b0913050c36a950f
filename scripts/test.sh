#!/usr/bin/env bash
# Runs every test of Probe: unit tests of each module, every engine on every built-in model against
# exact posteriors, and end-to-end tests of the ./probe command. Needs JDK 17 and Maven; Maven
# fetches the Java dependencies on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "scripts/test.sh: $tool is missing; on Debian: apt-get install openjdk-17-jdk-headless maven" >&2
    exit 1
  fi
done

# verify packages the command before the end-to-end tests in tests/ run it.
exec mvn -B -ntp verify "$@"
