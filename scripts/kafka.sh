#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) for kscope's tests, on loopback only.
#
#   scripts/kafka.sh fetch
#   scripts/kafka.sh start DIR --proxied-port P --direct-port D --controller-port C
#                          [--proxy-advertised HOST:PORT] [--owner-pid PID [--owner-cleanup]]
#                          [--set key=value]... [--timeout SECONDS]
#   scripts/kafka.sh cluster DIR --client-ports P1,P2,P3 --internal-ports I1,I2,I3 --controller-ports C1,C2,C3
#                            [--owner-pid PID [--owner-cleanup]] [--set key=value]... [--timeout SECONDS]
#   scripts/kafka.sh stop DIR            (a cluster node: DIR/node-ID)
#   scripts/kafka.sh restart DIR [--kill]      (same data and ports; --kill: SIGKILL, a crash)
#   scripts/kafka.sh tool CLASS [ARGS...]
#
# start: formats DIR/data, starts the broker in the background (own session), writes DIR/pid,
# DIR/server.properties, DIR/kafka.log, waits for "Kafka Server started" and prints KEY=VALUE lines.
# Listeners: PROXIED binds 127.0.0.1:P and is advertised as --proxy-advertised (the proxy in
# front of it); DIRECT binds and advertises 127.0.0.1:D (also inter-broker); CONTROLLER 127.0.0.1:C.
# --owner-pid: a watchdog kills the broker once that process is gone (--owner-cleanup: and rm DIR).
# --set key=value: extra server.properties lines (later ones win).
# Env: KAFKA_HEAP_OPTS (default -Xmx768m -Xms256m), KAFKA_TOOL_JVM_OPTS (tool JVM flags).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KSCOPE_CACHE:-$ROOT/.cache}
LIBS=$CACHE/kafka/libs
LOG4J=$ROOT/scripts/log4j2.xml

die() { echo "kafka.sh: $*" >&2; exit 1; }

have_jars() {
  compgen -G "$LIBS/kafka_2.13-*.jar" >/dev/null && compgen -G "$LIBS/kafka-tools-*.jar" >/dev/null &&
    compgen -G "$LIBS/log4j-core-*.jar" >/dev/null && compgen -G "$LIBS/log4j-slf4j-impl-*.jar" >/dev/null
}

fetch() {
  have_jars && return 0
  command -v mvn >/dev/null || die "mvn not found (needed once to fetch Kafka jars)"
  echo "kafka.sh: fetching Kafka jars into $LIBS" >&2
  mvn -q -B -f "$ROOT/scripts/kafka-pom.xml" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DoutputDirectory="$LIBS" >&2
  have_jars || die "fetch finished but jars are missing from $LIBS"
}

alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# Starts the broker of an already formatted DIR in the background (own session), with the owner
# watchdog recorded in DIR/owner; does not wait (see await_started).
spawn() {
  local dir=$1 owner='' owner_cleanup=0
  [[ -f $dir/owner ]] && read -r owner owner_cleanup <"$dir/owner"
  local -a jvm=(java -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*")
  [[ -f $dir/kafka.log ]] && mv "$dir/kafka.log" "$dir/kafka.log.$(date +%s%N)"
  # shellcheck disable=SC2086
  setsid "${jvm[@]}" ${KAFKA_HEAP_OPTS:--Xmx768m -Xms256m} -XX:+ExitOnOutOfMemoryError \
    kafka.Kafka "$dir/server.properties" >"$dir/kafka.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$dir/pid"

  if [[ -n $owner ]]; then
    # Watchdog: if the owner dies without calling stop, take the broker down with it
    # (SIGTERM, SIGKILL after 10 s) and, with --owner-cleanup, remove DIR.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done
      kill -0 "$1" 2>/dev/null && exit 0
      kill -TERM "$2" 2>/dev/null
      for _ in $(seq 20); do kill -0 "$2" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$2" 2>/dev/null
      [[ $4 == 1 ]] && { sleep 0.5; rm -rf "$3"; }
      exit 0' _ "$owner" "$pid" "$dir" "$owner_cleanup" >/dev/null 2>&1 </dev/null &
  fi
}

# Waits up to TIMEOUT seconds for the broker of DIR to log "Kafka Server started".
await_started() {
  local dir=$1 timeout=$2 pid
  pid=$(cat "$dir/pid")
  local deadline=$((SECONDS + timeout))
  until grep -q "Kafka Server started" "$dir/kafka.log" 2>/dev/null; do
    if ! alive "$pid"; then
      tail -n 40 "$dir/kafka.log" >&2 || true
      die "broker exited during start-up (log: $dir/kafka.log)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 40 "$dir/kafka.log" >&2 || true
      stop "$dir" >/dev/null 2>&1 || true
      die "broker not started after ${timeout}s (log: $dir/kafka.log)"
    fi
    sleep 0.2
  done
}

# Runs the broker of an already formatted DIR and waits for "Kafka Server started".
launch() { spawn "$1"; await_started "$1" "$2"; }

# Stops the broker of DIR (SIGKILL with --kill: a crash) and starts it again on the same data
# and ports; prints pid=.
restart() {
  local dir=${1:-} how=${2:-} i
  [[ -n $dir && -f $dir/server.properties ]] || die "usage: restart DIR [--kill]"
  if [[ $how == --kill ]]; then
    local pid
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    if alive "$pid"; then
      kill -KILL "$pid"
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    rm -f "$dir/pid"
  else
    stop "$dir" >/dev/null
  fi
  launch "$dir" 90
  echo "pid=$(cat "$dir/pid")"
}

# cluster DIR: N brokers (KRaft, each broker+controller, node ids 1..N) in DIR/node-ID.
# Each has a CLIENT listener (advertised as itself: clients reach it only through a gateway
# that maps it), INTERNAL (inter-broker) and CONTROLLER. Nodes are started together (a KRaft
# quorum forms only once a majority is up); a node can be stopped and restarted (DIR/node-ID).
cluster() {
  local dir=${1:-} clients='' internals='' controllers='' owner='' owner_cleanup=0 timeout=120
  local -a extra=()
  [[ -n $dir && $dir != --* ]] || die "usage: cluster DIR --client-ports P1,P2,.. --internal-ports I1,.. --controller-ports C1,.."
  shift
  while (($#)); do
    [[ $1 == --owner-cleanup ]] && { owner_cleanup=1; shift; continue; }
    [[ $# -ge 2 ]] || die "missing value for $1"
    case $1 in
      --client-ports) clients=$2 ;;
      --internal-ports) internals=$2 ;;
      --controller-ports) controllers=$2 ;;
      --owner-pid) owner=$2 ;;
      --set) extra+=("$2") ;;
      --timeout) timeout=$2 ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  local -a cp ip kp
  IFS=, read -r -a cp <<<"$clients"
  IFS=, read -r -a ip <<<"$internals"
  IFS=, read -r -a kp <<<"$controllers"
  local n=${#cp[@]}
  ((n >= 1 && ${#ip[@]} == n && ${#kp[@]} == n)) || die "--client-ports, --internal-ports and --controller-ports need one port per node"
  fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local voters='' i
  for ((i = 0; i < n; i++)); do voters+="${voters:+,}$((i + 1))@127.0.0.1:${kp[i]}"; done
  local rf=$((n < 3 ? n : 3))
  local isr=$((rf > 1 ? rf - 1 : 1))
  local id
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n') # may start with "-": --cluster-id=
  local -a jvm=(java -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*")
  for ((i = 0; i < n; i++)); do
    local node=$((i + 1)) nd="$dir/node-$((i + 1))"
    if [[ -f $nd/pid ]] && alive "$(cat "$nd/pid")"; then die "a broker is already running in $nd"; fi
    rm -rf "$nd" && mkdir -p "$nd"
    {
      echo "process.roles=broker,controller"
      echo "node.id=$node"
      echo "controller.quorum.voters=$voters"
      echo "listeners=CLIENT://127.0.0.1:${cp[i]},INTERNAL://127.0.0.1:${ip[i]},CONTROLLER://127.0.0.1:${kp[i]}"
      echo "advertised.listeners=CLIENT://127.0.0.1:${cp[i]},INTERNAL://127.0.0.1:${ip[i]}"
      echo "listener.security.protocol.map=CLIENT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT"
      echo "inter.broker.listener.name=INTERNAL"
      echo "controller.listener.names=CONTROLLER"
      echo "log.dirs=$nd/data"
      echo "num.partitions=3"
      echo "default.replication.factor=$rf"
      echo "min.insync.replicas=$isr"
      echo "offsets.topic.replication.factor=$rf"
      echo "offsets.topic.num.partitions=3"
      echo "transaction.state.log.replication.factor=$rf"
      echo "transaction.state.log.min.isr=$isr"
      echo "transaction.state.log.num.partitions=3"
      echo "share.coordinator.state.topic.replication.factor=$rf"
      echo "share.coordinator.state.topic.min.isr=$isr"
      echo "group.initial.rebalance.delay.ms=0"
      echo "auto.create.topics.enable=true"
      local kv
      for kv in ${extra[@]+"${extra[@]}"}; do echo "$kv"; done
    } >"$nd/server.properties"
    "${jvm[@]}" -Dkscope.log.level=WARN -XX:TieredStopAtLevel=1 -Xshare:auto \
      kafka.tools.StorageTool format --cluster-id="$id" -c "$nd/server.properties" >"$nd/format.log" 2>&1 ||
      { cat "$nd/format.log" >&2; die "storage format failed in $nd"; }
    [[ -n $owner ]] && echo "$owner 0" >"$nd/owner"
  done
  for ((i = 0; i < n; i++)); do KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512m -Xms128m} spawn "$dir/node-$((i + 1))"; done
  for ((i = 0; i < n; i++)); do await_started "$dir/node-$((i + 1))" "$timeout"; done
  if [[ -n $owner && $owner_cleanup == 1 ]]; then
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; sleep 12; rm -rf "$2"' _ "$owner" "$dir" >/dev/null 2>&1 </dev/null &
  fi
  echo "dir=$dir"
  for ((i = 0; i < n; i++)); do echo "node.$((i + 1))=127.0.0.1:${cp[i]} pid=$(cat "$dir/node-$((i + 1))/pid")"; done
}

start() {
  local dir=${1:-} proxied='' direct='' controller='' advertised='' owner='' owner_cleanup=0 timeout=90
  local -a extra=()
  [[ -n $dir && $dir != --* ]] || die "usage: start DIR --proxied-port P --direct-port D --controller-port C [--proxy-advertised HOST:PORT]"
  shift
  while (($#)); do
    [[ $1 == --owner-cleanup ]] && { owner_cleanup=1; shift; continue; }
    [[ $# -ge 2 ]] || die "missing value for $1"
    case $1 in
      --proxied-port) proxied=$2 ;;
      --direct-port) direct=$2 ;;
      --controller-port) controller=$2 ;;
      --proxy-advertised) advertised=$2 ;;
      --owner-pid) owner=$2 ;;
      --set) extra+=("$2") ;;
      --timeout) timeout=$2 ;;
      *) die "unknown option $1" ;;
    esac
    shift 2
  done
  [[ $proxied =~ ^[0-9]+$ && $direct =~ ^[0-9]+$ && $controller =~ ^[0-9]+$ ]] ||
    die "--proxied-port, --direct-port and --controller-port are required (numbers)"
  [[ -n $advertised ]] || advertised=127.0.0.1:$proxied
  [[ $advertised == *:* ]] || die "--proxy-advertised must be HOST:PORT"
  fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ -f $dir/pid ]] && alive "$(cat "$dir/pid")"; then die "a broker is already running in $dir"; fi
  rm -rf "$dir/data" "$dir/pid"

  {
    echo "process.roles=broker,controller"
    echo "node.id=1"
    echo "controller.quorum.voters=1@127.0.0.1:$controller"
    echo "listeners=PROXIED://127.0.0.1:$proxied,DIRECT://127.0.0.1:$direct,CONTROLLER://127.0.0.1:$controller"
    echo "advertised.listeners=PROXIED://$advertised,DIRECT://127.0.0.1:$direct"
    echo "listener.security.protocol.map=PROXIED:PLAINTEXT,DIRECT:PLAINTEXT,CONTROLLER:PLAINTEXT"
    echo "inter.broker.listener.name=DIRECT"
    echo "controller.listener.names=CONTROLLER"
    echo "log.dirs=$dir/data"
    echo "num.partitions=3"
    echo "offsets.topic.replication.factor=1"
    echo "offsets.topic.num.partitions=3"
    echo "transaction.state.log.replication.factor=1"
    echo "transaction.state.log.min.isr=1"
    echo "transaction.state.log.num.partitions=3"
    echo "share.coordinator.state.topic.replication.factor=1"
    echo "share.coordinator.state.topic.min.isr=1"
    echo "group.initial.rebalance.delay.ms=0"
    echo "auto.create.topics.enable=true"
    local kv
    for kv in ${extra[@]+"${extra[@]}"}; do echo "$kv"; done
  } >"$dir/server.properties"

  # Any 22-char base64url string of 16 bytes is a valid cluster id; saves a JVM start. (It may
  # start with "-": hence --cluster-id=, not -t.)
  local id
  id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  local -a jvm=(java -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" -cp "$LIBS/*")
  "${jvm[@]}" -Dkscope.log.level=WARN -XX:TieredStopAtLevel=1 -Xshare:auto \
    kafka.tools.StorageTool format --cluster-id="$id" -c "$dir/server.properties" >"$dir/format.log" 2>&1 ||
    { cat "$dir/format.log" >&2; die "storage format failed"; }

  rm -f "$dir/owner"
  [[ -n $owner ]] && echo "$owner $owner_cleanup" >"$dir/owner"
  launch "$dir" "$timeout"
  # The log line is written once the listeners are up; confirm with a TCP connect anyway.
  (exec 3<>"/dev/tcp/127.0.0.1/$direct") 2>/dev/null || die "broker logged start but 127.0.0.1:$direct refuses connections"
  echo "pid=$(cat "$dir/pid")"
  echo "dir=$dir"
  echo "direct=127.0.0.1:$direct"
  echo "proxied=127.0.0.1:$proxied"
  echo "advertised=$advertised"
  echo "controller=127.0.0.1:$controller"
}

stop() {
  local dir=${1:-} pid
  [[ -n $dir ]] || die "usage: stop DIR"
  [[ -f $dir/pid ]] || { echo "kafka.sh: no broker pid in $dir" >&2; return 0; }
  pid=$(cat "$dir/pid")
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 150; i++)); do alive "$pid" || break; sleep 0.2; done
    if alive "$pid"; then
      echo "kafka.sh: broker $pid ignored SIGTERM for 30s, killing" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
  fi
  rm -f "$dir/pid"
  echo "stopped=$pid"
}

tool() {
  local cls=${1:-}
  [[ -n $cls ]] || die "usage: tool CLASS [ARGS...]"
  shift
  fetch
  # shellcheck disable=SC2086
  exec java -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J" \
    -Dkscope.log.level="${KAFKA_TOOL_LOG_LEVEL:-WARN}" -Dkscope.log.target=SYSTEM_ERR \
    ${KAFKA_TOOL_JVM_OPTS:--Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto} \
    -cp "$LIBS/*" "$cls" "$@"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in
  fetch) fetch ;;
  start) start "$@" ;;
  cluster) cluster "$@" ;;
  stop) stop "$@" ;;
  restart) restart "$@" ;;
  tool) tool "$@" ;;
  *) die "usage: kafka.sh fetch | cluster DIR ... | start DIR --proxied-port P --direct-port D --controller-port C [--proxy-advertised HOST:PORT] | stop DIR | restart DIR [--kill] | tool CLASS [ARGS...]" ;;
esac
