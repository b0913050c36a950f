#!/usr/bin/env bash
# Installs those of the Debian packages named as arguments that are missing: as root, or through
# sudo. Prints what it installs; prints nothing when every package is there.
set -euo pipefail

missing=""
for p in "$@"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "$(basename "$0"): installing the Debian packages Probe needs here:$missing" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi
