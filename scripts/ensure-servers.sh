#!/usr/bin/env bash
# Makes sure redis-server, redis-cli, memcached, saslpasswd2 and openssl are installed: the tests and the
# benchmarks start their own processes on free loopback ports. Installs the missing ones from Debian's packages
# (apt-get, through sudo when not root); elsewhere it says what to install and fails.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v memcached >/dev/null 2>&1 || missing+=(memcached)
# saslpasswd2 makes the SASL password database of the Memcached SASL tests.
command -v saslpasswd2 >/dev/null 2>&1 || [ -x /usr/sbin/saslpasswd2 ] || missing+=(sasl2-bin)
# openssl makes the certificates of the Redis TLS tests.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing ${missing[*]}: the tests and benchmarks start real redis-server and memcached" >&2
  echo "processes. Install them (macOS: brew install redis memcached) and run again." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "Missing ${missing[*]} and not root: run 'apt-get install ${missing[*]}' as root." >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "Installing ${missing[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
