#!/usr/bin/env bash
# Installs the Debian packages fpmatch builds and tests with (only those not
# already installed). Uses sudo when not run as root. Waits for the apt/dpkg
# locks when another package operation (an unattended upgrade, say) holds
# them: up to FPM_APT_LOCK_WAIT_S seconds in all (default 900), saying so.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config python3 python3-venv python3-dev
      catch2 libbenchmark-dev libcli11-dev nlohmann-json3-dev libopenmpi-dev openmpi-bin
      clang libclang-rt-dev)
wait_s=${FPM_APT_LOCK_WAIT_S:-900}
retry_s=${FPM_APT_RETRY_S:-10}
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
# apt_get ARGS...: apt-get, retried while a lock is held (apt itself also
# waits up to 60 s per try for the dpkg frontend lock, printing why).
apt_get() {
  while :; do
    if $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@" >"$log" 2>&1; then
      return 0
    fi
    if grep -qiE "could not get lock|unable to (acquire|lock)|is held by process" "$log"; then
      if [ $((SECONDS - start)) -lt "$wait_s" ]; then
        echo "install-deps: another package operation holds the apt/dpkg lock; waiting" \
             "($((SECONDS - start)) of at most $wait_s s so far)"
        sleep "$retry_s"
        continue
      fi
      cat "$log" >&2
      echo "install-deps: the apt/dpkg lock was still held after $wait_s s; giving up" >&2
      return 1
    fi
    cat "$log" >&2
    return 1
  done
}
echo "installing: ${missing[*]}"
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${missing[@]}"
