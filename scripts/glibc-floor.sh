#!/usr/bin/env bash
# The newest glibc version a Linux addon needs (from its version needs, readelf -V), printed as
# GLIBC_x.y; fails when that is newer than the floor the packages promise. Used by CI's glibc
# build rows and by packaging.test.ts. Usage: glibc-floor.sh <addon.node> [floor, default 2.17]
set -euo pipefail
addon=$1 floor=${2:-2.17}
newest=$(readelf -V -W "$addon" | grep -o 'GLIBC_[0-9][0-9.]*' | sort -uV | tail -1)
[ -n "$newest" ] || { echo "glibc-floor.sh: no GLIBC version needs in $addon" >&2 && exit 2; }
echo "$newest"
if [ "$(printf '%s\n' "GLIBC_$floor" "$newest" | sort -V | tail -1)" != "GLIBC_$floor" ]; then
  echo "glibc-floor.sh: $addon needs $newest, newer than the floor GLIBC_$floor" >&2
  exit 1
fi
