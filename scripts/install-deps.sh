#!/usr/bin/env bash
# Installs the Debian packages fpmatch builds and tests with (only those not
# already installed). Uses sudo when not run as root.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config python3
      catch2 libbenchmark-dev libcli11-dev nlohmann-json3-dev libeigen3-dev
      clang libclang-rt-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
