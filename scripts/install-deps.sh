#!/usr/bin/env bash
# Installs every Debian package mdesiem needs to build, test and benchmark.
# Idempotent: packages already present are skipped without touching apt.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3
  libjsmn-dev libinih-dev libmicrohttpd-dev librdkafka-dev libsystemd-dev
  libcmocka-dev zlib1g-dev
  rsyslog rsyslog-gnutls kcat curl jq openssl procps python3 time tinyproxy faketime
  man-db groff-base systemd dpkg-dev bsdutils gzip  # man pages, systemd-analyze, make deb, script(1)
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
