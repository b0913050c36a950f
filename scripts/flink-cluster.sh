#!/usr/bin/env bash
# A standalone Flink session cluster for Probe, from the Maven artifacts (no Flink distribution):
# a JobManager and two TaskManagers, each a JVM process on loopback, with Probe's jars on their
# class path so that job classes deserialize.
#
#   scripts/flink-cluster.sh start             starts it; prints the REST address (--flink HOST:PORT)
#   scripts/flink-cluster.sh stop              stops the processes it started
#   scripts/flink-cluster.sh status            the REST endpoint's overview
#   scripts/flink-cluster.sh kill-taskmanager N  kills TaskManager N (1 or 2) at once (kill -9): a fault
#   scripts/flink-cluster.sh kill-taskmanager busy  kills one that runs a task now
#   scripts/flink-cluster.sh kill-jobmanager   kills the JobManager at once (kill -9): a fault
#   scripts/flink-cluster.sh start-taskmanagers  starts again those not running, waits for them
#
# Environment: PROBE_FLINK_DIR (its folder: config, pids and logs under DIR/log; default
# flink/target/cluster), PROBE_FLINK_PORT (REST, default 8081), PROBE_FLINK_RPC_PORT (JobManager
# RPC, default 6123), PROBE_FLINK_SLOTS (slots per TaskManager, default 2), PROBE_FLINK_TASKMANAGERS
# (default 2). Needs 'mvn -DskipTests package' first (cli/target and flink/target).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${PROBE_FLINK_DIR:-$here/flink/target/cluster}"
port="${PROBE_FLINK_PORT:-8081}"
rpc="${PROBE_FLINK_RPC_PORT:-6123}"
slots="${PROBE_FLINK_SLOTS:-2}"
taskmanagers="${PROBE_FLINK_TASKMANAGERS:-2}"

classpath() {
  for f in "$here/cli/target/probe-cli.jar" "$here/flink/target/probe-flink.jar"; do
    if [ ! -f "$f" ]; then
      echo "flink-cluster: $f is missing: run 'mvn -DskipTests package' in $here first" >&2
      exit 1
    fi
  done
  # Logging first: its SLF4J binding is found before the command line's binding to nothing.
  echo "$here/flink/target/cluster-lib/*:$here/cli/target/probe-cli.jar:$here/cli/target/lib/*:$here/flink/target/probe-flink.jar:$here/flink/target/lib/*"
}

# Whether the process in pid file $1 runs: a killed one that nobody has reaped yet (a zombie, where
# the init process does not reap orphans) answers kill -0 but is gone.
# Every JVM's options. Pekko's classic remoting waits 10 s for its transport, which Flink's options do not reach.
opts=(-Dlog4j.configurationFile="$dir/log4j.properties" -Dai.djl.offline=true -Dpekko.remote.classic.startup-timeout=120s)

alive() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && [ "$(ps -o stat= -p "$(cat "$1")" 2>/dev/null | cut -c1)" != Z ]
}

overview() {
  curl -s --max-time 3 "http://localhost:$port/overview" || true
}

start() {
  local cp
  cp="$(classpath)"
  mkdir -p "$dir/log" "$dir/pids" "$dir/tmp"
  for p in "$dir"/pids/*.pid; do
    if alive "$p"; then
      echo "flink-cluster: already running ($p); stop it first: $0 stop" >&2
      exit 1
    fi
  done
  cat > "$dir/config.yaml" <<YAML
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $rpc
jobmanager.bind-host: localhost
jobmanager.memory.process.size: 768m
rest.address: localhost
rest.bind-address: localhost
rest.port: $port
taskmanager.host: localhost
taskmanager.bind-host: localhost
taskmanager.numberOfTaskSlots: $slots
# What Flink's own start scripts would compute and pass (without them, TaskManagerRunner needs it all):
taskmanager.cpu.cores: $slots
taskmanager.memory.framework.heap.size: 128m
taskmanager.memory.task.heap.size: 384m
taskmanager.memory.managed.size: 64m
taskmanager.memory.framework.off-heap.size: 128m
taskmanager.memory.task.off-heap.size: 0m
taskmanager.memory.network.min: 64m
taskmanager.memory.network.max: 64m
taskmanager.memory.jvm-metaspace.size: 256m
taskmanager.memory.jvm-overhead.min: 192m
taskmanager.memory.jvm-overhead.max: 192m
parallelism.default: $slots
# A job's tasks spread over the TaskManagers (a lost TaskManager then costs part of a job, not all of it).
taskmanager.load-balance.mode: SLOTS
# Flink's default heartbeats: a killed TaskManager is noticed when its RPC fails (two intervals);
# faster heartbeats on a loaded machine made the JobManager think fresh deployments were missing.
heartbeat.interval: 10000
heartbeat.timeout: 50000
# A loaded machine starts an actor system slowly: more patience than the defaults (10 s).
pekko.startup-timeout: 120 s
pekko.ask.timeout: 60 s
# A finishing task hands the collect sink's unfetched results to the JobManager in one RPC message
# (up to twice collect-sink.batch-size.max, 2 MiB in FlinkBackend): headroom over Pekko's 10 MiB default.
pekko.framesize: 134217728b
io.tmp.dirs: $dir/tmp
YAML
  cat > "$dir/log4j.properties" <<'PROPS'
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = F
appender.file.name = F
appender.file.type = File
appender.file.fileName = ${sys:log.file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %c - %m%n
PROPS
  java -Xmx512m "${opts[@]}" -Dlog.file="$dir/log/jobmanager.log" -cp "$cp" \
    org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint --configDir "$dir" \
    > "$dir/log/jobmanager.out" 2>&1 &
  echo $! > "$dir/pids/jobmanager.pid"
  # TaskManagers once the JobManager answers: on a loaded machine three JVMs starting at once crawl.
  for _ in $(seq 1 240); do
    if overview | grep -q slots-total; then break; fi
    if ! alive "$dir/pids/jobmanager.pid"; then break; fi
    sleep 0.5
  done
  for i in $(seq 1 "$taskmanagers"); do
    start_taskmanager "$i" "$cp"
  done
  ready
}

# TaskManager N in the background, its pid in DIR/pids. A restarted TaskManager's predecessor's log
# moves to taskmanager-N.log.earlier, so that the log names the running one's resource id alone.
start_taskmanager() {
  if [ -f "$dir/log/taskmanager-$1.log" ]; then
    cat "$dir/log/taskmanager-$1.log" >> "$dir/log/taskmanager-$1.log.earlier"
    rm -f "$dir/log/taskmanager-$1.log"
  fi
  java -Xmx512m -XX:MaxDirectMemorySize=192m -XX:MaxMetaspaceSize=256m "${opts[@]}" -Dlog.file="$dir/log/taskmanager-$1.log" -cp "$2" \
    org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$dir" \
    >> "$dir/log/taskmanager-$1.out" 2>&1 &
  echo $! > "$dir/pids/taskmanager-$1.pid"
}

# Waits until the TaskManagers running now, and only they, are registered with their slots (at most
# two minutes). Each is known by the resource id its log gives; a killed TaskManager stays
# registered until the JobManager notices its loss, so a count of TaskManagers could be fooled.
# Whether the JobManager's TaskManagers are exactly those of the logs' last resource ids, with $1 slots in all.
registered() {
  local ids=()
  for i in $(seq 1 "$taskmanagers"); do
    ids+=("$(grep -o 'Starting TaskManager with ResourceID: [^ ]*' "$dir/log/taskmanager-$i.log" 2>/dev/null | sed 's/.*: //')")
  done
  curl -s --max-time 3 "http://localhost:$port/taskmanagers" 2>/dev/null | python3 -c '
import json, sys
want, ids = int(sys.argv[1]), set(sys.argv[2:])
try:
    tms = json.load(sys.stdin)["taskmanagers"]
except Exception:
    sys.exit(1)
sys.exit(0 if {t["id"] for t in tms} == ids and "" not in ids and sum(t["slotsNumber"] for t in tms) == want else 1)
' "$1" "${ids[@]}"
}

ready() {
  local want=$((slots * taskmanagers))
  for _ in $(seq 1 240); do
    if registered "$want"; then
      echo "flink-cluster: running at localhost:$port ($taskmanagers TaskManagers, $want slots; logs in $dir/log)"
      return 0
    fi
    if ! alive "$dir/pids/jobmanager.pid"; then
      echo "flink-cluster: the JobManager exited; see $dir/log/jobmanager.out and jobmanager.log" >&2
      stop >/dev/null
      exit 1
    fi
    sleep 0.5
  done
  echo "flink-cluster: not ready after two minutes (overview: $(overview)); see $dir/log" >&2
  stop >/dev/null
  exit 1
}

stop() {
  local any=no
  for p in "$dir"/pids/*.pid; do
    [ -f "$p" ] || continue
    if alive "$p"; then
      kill "$(cat "$p")" 2>/dev/null || true
      any=yes
    fi
  done
  # Wait for them to go (at most 20 s), then force those that stay.
  for _ in $(seq 1 40); do
    local left=no
    for p in "$dir"/pids/*.pid; do
      if alive "$p"; then left=yes; fi
    done
    [ "$left" = no ] && break
    sleep 0.5
  done
  for p in "$dir"/pids/*.pid; do
    if alive "$p"; then kill -9 "$(cat "$p")" 2>/dev/null || true; fi
    rm -f "$p"
  done
  [ "$any" = yes ] && echo "flink-cluster: stopped" || echo "flink-cluster: was not running"
}

# kill -9 of the process in pid file $1 (named $2 in the messages): a fault, for testing.
kill_now() {
  if ! alive "$1"; then
    echo "flink-cluster: $2 is not running" >&2
    exit 1
  fi
  kill -9 "$(cat "$1")"
  echo "flink-cluster: killed $2 (pid $(cat "$1"))"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) overview; echo ;;
  start-taskmanagers)
    # Starts again every TaskManager that is not running (after kill-taskmanager), then waits for them.
    if ! alive "$dir/pids/jobmanager.pid"; then
      echo "flink-cluster: the JobManager is not running; start the cluster: $0 start" >&2
      exit 1
    fi
    cp="$(classpath)"
    for i in $(seq 1 "$taskmanagers"); do
      if ! alive "$dir/pids/taskmanager-$i.pid"; then
        start_taskmanager "$i" "$cp"
        echo "flink-cluster: started TaskManager $i again"
      fi
    done
    ready ;;
  kill-jobmanager)
    # A fault, for testing: the JobManager killed at once (kill -9); the TaskManagers stay.
    kill_now "$dir/pids/jobmanager.pid" "the JobManager" ;;
  kill-taskmanager)
    n="${2:?which TaskManager: 1, 2 or busy}"
    if [ "$n" = busy ]; then
      # A TaskManager on which a subtask of a running job is RUNNING now (a slot in use is not
      # enough: a subtask that has finished keeps its slot, and losing it fails nothing), found
      # by its resource id in the logs this script keeps.
      id="$(python3 - "$port" <<'PY'
import json, sys, urllib.request
base = "http://localhost:%s" % sys.argv[1]
def get(path):
    with urllib.request.urlopen(base + path, timeout=5) as r:
        return json.load(r)
try:
    for job in get("/jobs/overview")["jobs"]:
        if job["state"] != "RUNNING":
            continue
        for vertex in get("/jobs/" + job["jid"])["vertices"]:
            for task in get("/jobs/%s/vertices/%s" % (job["jid"], vertex["id"]))["subtasks"]:
                if task["status"] == "RUNNING":
                    print(task["taskmanager-id"])
                    sys.exit(0)
except OSError:
    pass
PY
)"
      n="$(grep -l -F "$id" "$dir"/log/taskmanager-*.log 2>/dev/null | head -n 1 | sed -E 's/.*taskmanager-([0-9]+)\.log/\1/')"
      if [ -z "$id" ] || [ -z "$n" ]; then
        echo "flink-cluster: no TaskManager runs a task now" >&2
        exit 1
      fi
    fi
    kill_now "$dir/pids/taskmanager-$n.pid" "TaskManager $n" ;;
  *)
    echo "usage: $0 start|stop|status|kill-taskmanager N|busy|kill-jobmanager|start-taskmanagers" >&2
    exit 2 ;;
esac
