#!/usr/bin/env bash
# Installs Debian's dovecot-imapd if /usr/sbin/dovecot is missing (root
# needed) and prints the binary's path. The Go twin is
# dovecot.EnsureInstalled; test scripts may call this one up front.
set -euo pipefail
if [ ! -x /usr/sbin/dovecot ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq dovecot-imapd >&2
  systemctl disable --now dovecot >/dev/null 2>&1 || true
fi
echo /usr/sbin/dovecot
