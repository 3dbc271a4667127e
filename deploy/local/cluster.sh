#!/usr/bin/env bash
# A whole postbus cluster on 127.0.0.1 for development and tests:
# etcd, versitygw (S3), 3 metadata nodes, 2 frontends, haproxy in front.
#
#   deploy/local/cluster.sh up DIR      build, install what is missing, start
#                                       everything, return once haproxy greets
#                                       (a DIR that held a stopped cluster is
#                                       started again with its data, new ports)
#   deploy/local/cluster.sh down DIR    stop exactly the processes `up` started
#   deploy/local/cluster.sh stop DIR NAME     SIGTERM one process (metadata2 ...)
#   deploy/local/cluster.sh kill DIR NAME     SIGKILL one process (a crash)
#   deploy/local/cluster.sh start DIR NAME    start it again, same flags and ports
#   deploy/local/cluster.sh add-metadata DIR  start one more metadata node
#
# DIR holds everything: logs/NAME.log, pids/NAME.pid, run/NAME.sh (the exact
# command line of each process), data directories, the TLS certificate, and
# cluster.env, shell variables for scripts and tests (HOST:PORT values):
#   ETCD_ENDPOINTS S3_ENDPOINT LB_IMAPS LB_IMAP FRONTEND1_IMAPS FRONTEND2_IMAPS
#   and FRONTEND{1,2}_IMAP, FRONTEND{1,2}_HTTP, METADATA{N}_ADDR,
#   METADATA{N}_HTTP, POSTBUS (the binary), TLS_CERT (the frontends' self-signed
#   certificate, for clients to trust), S3_BUCKET, S3_ACCESS_KEY, S3_SECRET_KEY.
#
# Environment: POSTBUS_BIN (use this binary instead of building one),
# ETCD_BIN, POSTBUS_VERSITYGW (binaries to use instead of installing them),
# POSTBUS_SHARDS (virtual shards at cluster creation, default 64).
# Installing uses apt-get (haproxy, etcd-server, openssl: root needed) and
# scripts/install-versitygw.sh (go install).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$REPO/deploy/local"
READY_TIMEOUT=${READY_TIMEOUT:-60}

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# ---- tools -------------------------------------------------------------

apt_install() {
  command -v apt-get >/dev/null || die "need $* and apt-get is not available; install $* yourself"
  say "installing $* with apt-get"
  # Wait for the dpkg lock: tests running in parallel may install at once.
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -qq)
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >/dev/null 2>&1; then
    "${apt[@]}" update >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$@" >/dev/null || die "apt-get install $* failed"
  fi
}

find_postbus() {
  if [ -n "${POSTBUS_BIN:-}" ]; then
    [ -x "$POSTBUS_BIN" ] || die "POSTBUS_BIN=$POSTBUS_BIN is not executable"
    echo "$POSTBUS_BIN"; return
  fi
  command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
  say "building postbus"
  (cd "$REPO" && go build -o "$DIR/bin/postbus" ./cmd/postbus) >&2 || die "go build failed"
  echo "$DIR/bin/postbus"
}

find_etcd() {
  if [ -n "${ETCD_BIN:-}" ]; then echo "$ETCD_BIN"; return; fi
  if [ -x "$REPO/.tools/bin/etcd" ]; then echo "$REPO/.tools/bin/etcd"; return; fi
  if command -v etcd >/dev/null; then command -v etcd; return; fi
  # The embedded etcd's module, when the build has it: the same version as
  # `postbus serve` runs, no root needed.
  if grep -q 'go.etcd.io/etcd/server/v3 ' "$REPO/go.mod" 2>/dev/null; then
    say "building etcd from go.etcd.io/etcd/server/v3"
    if (cd "$REPO" && go build -o "$REPO/.tools/bin/etcd" go.etcd.io/etcd/server/v3) >&2; then
      echo "$REPO/.tools/bin/etcd"; return
    fi
  fi
  apt_install etcd-server
  command -v etcd || echo /usr/bin/etcd
}

find_versitygw() {
  if [ -n "${POSTBUS_VERSITYGW:-}" ]; then echo "$POSTBUS_VERSITYGW"; return; fi
  bash "$REPO/scripts/install-versitygw.sh"
}

find_haproxy() {
  command -v haproxy >/dev/null || apt_install haproxy
  command -v haproxy || echo /usr/sbin/haproxy
}

# ---- ports, processes, readiness ---------------------------------------

declare -A TAKEN=()
# free_port prints a loopback port nobody answers on and no other process of
# this cluster was given. It stays below the kernel's ephemeral range: a port
# there may be the local end of somebody's outgoing connection, which
# refuses connections yet cannot be bound.
free_port() {
  local p lo=32768 _hi
  read -r lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$lo" -gt 12000 ] || die "the ephemeral port range starts at $lo: no room for fixed ports"
  for _ in $(seq 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    [ -n "${TAKEN[$p]:-}" ] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      TAKEN[$p]=1; echo "$p"; return
    fi
  done
  die "no free port found"
}

# role_has_flag ROLE FLAG: whether `postbus ROLE -h` lists --FLAG, so the
# launcher passes only flags the binary knows.
# (The help text is captured first: `grep -q` in a pipe would end early and
# make the pipe fail under pipefail.)
declare -A ROLE_HELP=()
role_has_flag() {
  [ -n "${ROLE_HELP[$1]:-}" ] || ROLE_HELP[$1]=$("$POSTBUS" "$1" -h 2>&1 || true)
  grep -Eq -- "^ +-$2( |$)" <<<"${ROLE_HELP[$1]}"
}

# launch NAME CMD...: writes run/NAME.sh and starts it detached, output in
# logs/NAME.log, pid in pids/NAME.pid.
launch() {
  local name=$1; shift
  {
    echo "#!/usr/bin/env bash"
    echo "# $name, started by deploy/local/cluster.sh"
    [ -n "${RUN_ENV:-}" ] && echo "$RUN_ENV"
    printf 'exec'; printf ' %q' "$@"; echo
  } >"$DIR/run/$name.sh"
  start_proc "$name"
}

start_proc() {
  local name=$1 pidf="$DIR/pids/$1.pid"
  [ -f "$DIR/run/$name.sh" ] || die "no process $name in $DIR"
  if is_ours "$name"; then die "$name is running ($(cat "$pidf"))"; fi
  nohup bash "$DIR/run/$name.sh" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  local pid=$! stamp
  stamp=$(proc_stamp "$pid")
  [ -n "$stamp" ] || die "$name exited at once: $(tail -n 5 "$DIR/logs/$name.log")"
  echo "$pid $stamp" >"$pidf"
}

# proc_stamp PID prints the process's start time (clock ticks since boot),
# which with the pid identifies one process for ever; nothing for a
# process that is gone or a zombie.
proc_stamp() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  rest=${stat##*) }            # fields from 3 on: state ppid ...
  set -- $rest
  [ "$1" = Z ] && return 0
  echo "${20}"                 # field 22, starttime
}

# is_ours NAME: NAME's recorded process is alive (same pid and start time:
# a stale pid file must never make us signal somebody else's process).
is_ours() {
  local f="$DIR/pids/$1.pid" pid stamp
  [ -f "$f" ] || return 1
  read -r pid stamp <"$f" || return 1
  [ -n "$pid" ] && [ -n "$stamp" ] && [ "$(proc_stamp "$pid")" = "$stamp" ]
}

# signal_proc NAME SIGNAL: signal NAME's process and wait for it to end
# (SIGKILL after 15 s); its pid file is removed.
signal_proc() {
  local name=$1 sig=$2 pidf="$DIR/pids/$1.pid" pid
  [ -f "$pidf" ] || return 0
  read -r pid _ <"$pidf"
  if is_ours "$name"; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 150); do is_ours "$name" || break; sleep 0.1; done
    if is_ours "$name"; then
      say "$name (pid $pid) still running 15 s after SIG$sig: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for _ in $(seq 50); do is_ours "$name" || break; sleep 0.1; done
    fi
  fi
  rm -f "$pidf"
}

# wait_for NAME DESCRIPTION CMD...: poll CMD until it succeeds; fail with
# the process's log if it exits or READY_TIMEOUT passes.
wait_for() {
  local name=$1 what=$2; shift 2
  local deadline=$((SECONDS + READY_TIMEOUT))
  until "$@" 2>/dev/null; do
    if ! is_ours "$name"; then
      tail -n 30 "$DIR/logs/$name.log" >&2 || true
      die "$name exited before $what"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$DIR/logs/$name.log" >&2 || true
      die "$name: no $what after ${READY_TIMEOUT}s"
    fi
    sleep 0.2
  done
}

http_ok() { curl -fsS -m 2 -o /dev/null "$1"; }
http_answers() { curl -sS -m 2 -o /dev/null "$1"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# imap_greets PORT [proxy]: an IMAP greeting "* OK" on the port, optionally
# after a PROXY header (a frontend that requires one).
imap_greets() {
  local fd line rc
  exec {fd}<>"/dev/tcp/127.0.0.1/$1" || return 1
  [ "${2:-}" = proxy ] && printf 'PROXY UNKNOWN\r\n' >&"$fd"
  IFS= read -r -t 3 line <&"$fd"; rc=$?
  exec {fd}>&-
  [ $rc -eq 0 ] && [[ $line == "* OK"* ]]
}

# ---- the roles ---------------------------------------------------------

# metadata_node N: start metadata node N on fresh ports and wait for it.
metadata_node() {
  local n=$1 name="metadata$1" port http args
  port=$(free_port); http=$(free_port)
  args=(metadata --etcd "$ETCD_ENDPOINTS" --data "$DIR/data/$name" --listen "127.0.0.1:$port" --advertise "127.0.0.1:$port")
  role_has_flag metadata http-addr && args+=(--http-addr "127.0.0.1:$http")
  role_has_flag metadata shards && args+=(--shards "${POSTBUS_SHARDS:-64}")
  role_has_flag metadata s3-endpoint && args+=(--s3-endpoint "$S3_URL" --s3-bucket "$S3_BUCKET")
  mkdir -p "$DIR/data/$name"
  RUN_ENV="$S3_ENV" launch "$name" "$POSTBUS" "${args[@]}"
  if role_has_flag metadata http-addr; then
    wait_for "$name" "/healthz" http_ok "http://127.0.0.1:$http/healthz"
  fi
  wait_for "$name" "gRPC port" port_open "$port"
  env_set "METADATA${n}_ADDR" "127.0.0.1:$port"
  env_set "METADATA${n}_HTTP" "127.0.0.1:$http"
}

# frontend_node N: start frontend N and wait until it greets.
frontend_node() {
  local n=$1 name="frontend$1" imaps imap http args proxy=""
  imaps=$(free_port); imap=$(free_port); http=$(free_port)
  args=(frontend --etcd "$ETCD_ENDPOINTS" --imaps-addr "127.0.0.1:$imaps" --imap-addr "127.0.0.1:$imap"
    --s3-endpoint "$S3_URL" --s3-bucket "$S3_BUCKET")
  role_has_flag frontend data && args+=(--data "$DIR/data/$name")
  role_has_flag frontend tls-cert && args+=(--tls-cert "$DIR/tls/cert.pem" --tls-key "$DIR/tls/key.pem")
  role_has_flag frontend http-addr && args+=(--http-addr "127.0.0.1:$http")
  if role_has_flag frontend proxy-protocol-imaps; then
    args+=(--proxy-protocol-imaps --proxy-protocol-imap --proxy-trusted 127.0.0.0/8)
    proxy=proxy
  fi
  mkdir -p "$DIR/data/$name"
  RUN_ENV="$S3_ENV" launch "$name" "$POSTBUS" "${args[@]}"
  if role_has_flag frontend http-addr; then
    # Ready means: the shard map is complete, every user has a node.
    wait_for "$name" "/readyz" http_ok "http://127.0.0.1:$http/readyz"
  fi
  wait_for "$name" "IMAP greeting" imap_greets "$imap" $proxy
  env_set "FRONTEND${n}_IMAPS" "127.0.0.1:$imaps"
  env_set "FRONTEND${n}_IMAP" "127.0.0.1:$imap"
  env_set "FRONTEND${n}_HTTP" "127.0.0.1:$http"
  env_set "FRONTEND${n}_PROXY" "${proxy:+1}"
}

env_set() {
  local f="$DIR/cluster.env"
  touch "$f"
  grep -v "^$1=" "$f" >"$f.tmp" || true
  printf '%s=%q\n' "$1" "$2" >>"$f.tmp"
  mv "$f.tmp" "$f"
}

load_env() {
  [ -f "$DIR/cluster.env" ] || die "no cluster in $DIR (no cluster.env)"
  # shellcheck disable=SC1091
  . "$DIR/cluster.env"
  S3_URL="http://$S3_ENDPOINT"
  S3_ENV="export POSTBUS_S3_ACCESS_KEY=$S3_ACCESS_KEY POSTBUS_S3_SECRET_KEY=$S3_SECRET_KEY"
}

# ---- commands ----------------------------------------------------------

cmd_up() {
  mkdir -p "$DIR"/{bin,logs,pids,run,data,tls}
  local f
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    local name; name=$(basename "$f" .pid)
    if is_ours "$name"; then die "a cluster is already running in $DIR ($name); run: $0 down $DIR"; fi
  done
  # A failed `up` leaves nothing running behind it.
  trap 'rc=$?; if [ $rc -ne 0 ]; then say "up failed; stopping what it started (logs stay in $DIR/logs)"; cmd_down; fi' EXIT
  command -v curl >/dev/null || apt_install curl
  command -v openssl >/dev/null || apt_install openssl
  POSTBUS=$(find_postbus)
  local etcd versitygw haproxy
  etcd=$(find_etcd); versitygw=$(find_versitygw); haproxy=$(find_haproxy)
  rm -f "$DIR/cluster.env"
  env_set POSTBUS "$POSTBUS"

  # The frontends share one certificate so a client that reconnects through
  # haproxy to the other frontend still trusts it.
  if [ ! -s "$DIR/tls/cert.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$DIR/tls/key.pem" -out "$DIR/tls/cert.pem" >/dev/null 2>&1 || die "openssl failed"
  fi
  env_set TLS_CERT "$DIR/tls/cert.pem"

  say "starting etcd"
  local ec ep
  ec=$(free_port); ep=$(free_port)
  launch etcd "$etcd" --name postbus-local --data-dir "$DIR/data/etcd" \
    --listen-client-urls "http://127.0.0.1:$ec" --advertise-client-urls "http://127.0.0.1:$ec" \
    --listen-peer-urls "http://127.0.0.1:$ep" --initial-advertise-peer-urls "http://127.0.0.1:$ep" \
    --initial-cluster "postbus-local=http://127.0.0.1:$ep"
  wait_for etcd "/health" http_ok "http://127.0.0.1:$ec/health"
  ETCD_ENDPOINTS="http://127.0.0.1:$ec"
  env_set ETCD_ENDPOINTS "$ETCD_ENDPOINTS"

  say "starting versitygw"
  local s3
  s3=$(free_port)
  S3_ACCESS_KEY=$(openssl rand -hex 10); S3_SECRET_KEY=$(openssl rand -hex 20); S3_BUCKET=postbus
  mkdir -p "$DIR/data/s3"
  RUN_ENV="export ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY" \
    launch s3 "$versitygw" --port "127.0.0.1:$s3" posix "$DIR/data/s3"
  wait_for s3 "HTTP answer" http_answers "http://127.0.0.1:$s3/"
  env_set S3_ENDPOINT "127.0.0.1:$s3"
  env_set S3_BUCKET "$S3_BUCKET"
  env_set S3_ACCESS_KEY "$S3_ACCESS_KEY"
  env_set S3_SECRET_KEY "$S3_SECRET_KEY"
  load_env

  say "starting 3 metadata nodes"
  for n in 1 2 3; do metadata_node "$n"; done
  env_set METADATA_COUNT 3
  say "starting 2 frontends"
  for n in 1 2; do frontend_node "$n"; done
  load_env

  say "starting haproxy"
  local lbs lb
  lbs=$(free_port); lb=$(free_port)
  sed -e "s/@LB_IMAPS_PORT@/$lbs/; s/@LB_IMAP_PORT@/$lb/" \
    -e "s/@FRONTEND1_IMAPS_PORT@/${FRONTEND1_IMAPS##*:}/; s/@FRONTEND1_IMAP_PORT@/${FRONTEND1_IMAP##*:}/" \
    -e "s/@FRONTEND2_IMAPS_PORT@/${FRONTEND2_IMAPS##*:}/; s/@FRONTEND2_IMAP_PORT@/${FRONTEND2_IMAP##*:}/" \
    "$HERE/haproxy.cfg.in" >"$DIR/haproxy.cfg"
  if [ -z "${FRONTEND1_PROXY:-}" ]; then
    # The frontends do not take PROXY headers: do not send them.
    sed -i 's/ send-proxy-v2 check-send-proxy//' "$DIR/haproxy.cfg"
  fi
  "$haproxy" -c -q -f "$DIR/haproxy.cfg" || die "haproxy rejects $DIR/haproxy.cfg"
  launch haproxy "$haproxy" -db -f "$DIR/haproxy.cfg"
  wait_for haproxy "IMAP greeting through the balancer" imap_greets "$lb"
  env_set LB_IMAPS "127.0.0.1:$lbs"
  env_set LB_IMAP "127.0.0.1:$lb"
  trap - EXIT
  say "ready: $DIR/cluster.env"
}

cmd_down() {
  local order=(haproxy frontend2 frontend1) f name
  for f in "$DIR"/pids/metadata*.pid; do [ -e "$f" ] && order+=("$(basename "$f" .pid)"); done
  order+=(s3 etcd)
  for f in "$DIR"/pids/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    [[ " ${order[*]} " == *" $name "* ]] || order+=("$name")
  done
  for name in "${order[@]}"; do signal_proc "$name" TERM; done
}

cmd_add_metadata() {
  load_env
  local n=$((METADATA_COUNT + 1))
  metadata_node "$n"
  env_set METADATA_COUNT "$n"
  echo "metadata$n"
}

[ $# -ge 2 ] || usage
cmd=$1 DIR=$2
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
case $cmd in
  up) cmd_up ;;
  down) cmd_down ;;
  stop) [ $# -eq 3 ] || usage; signal_proc "$3" TERM ;;
  kill) [ $# -eq 3 ] || usage; signal_proc "$3" KILL ;;
  start) [ $# -eq 3 ] || usage; mkdir -p "$DIR/logs" "$DIR/pids"; start_proc "$3" ;;
  add-metadata) cmd_add_metadata ;;
  *) usage ;;
esac
