# Shared parts of the bench scripts (bash; sourced, not run): tool checks, the release build, a private
# mosquitto on free ports, process CPU and memory from /proc, and a cleanup that stops by PID everything
# the script started.
#
#   source "$(dirname "$0")/lib.sh"
#   bench_init NAME                 # $work (temp dir, removed at exit), $root, cleanup trap
#   bench_need mosquitto tmux ...   # exits with a message when one is missing
#   bench_mqscope                   # $MQSCOPE, built in release unless given
#   bench_broker [ws]               # $tcp_port (and $ws_port), $broker_pid, log in $work/mosquitto.log
#   bench_track PID                 # stopped at exit
#   bench_tui SESSION TEXT ARGS...  # $MQSCOPE ARGS in tmux at 200x60 with the frame timer and a log
#                                   # ($work/mqscope.log); waits for TEXT; $sock, $pid
#
# The broker has no queue or in-flight limits (`max_queued_messages 0`, `max_inflight_messages 0`):
# a flood must not be dropped or stalled by the broker's defaults (see NOTES.md).

bench_name=bench
bench_pids=()
work=""

bench_cleanup() {
    local pid
    trap - EXIT
    for pid in "${bench_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${bench_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [ -n "$work" ] && rm -rf "$work"
}

bench_init() {
    bench_name=$1
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    work=$(mktemp -d "${TMPDIR:-/tmp}/mqscope-$bench_name.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

bench_fail() {
    echo "$bench_name: $*" >&2
    exit 1
}

bench_need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || bench_fail "$tool is required"
    done
}

bench_track() {
    bench_pids+=("$1")
}

# Forgets a process that has ended, so its PID (which the system may give to another process) is not
# signalled at exit.
bench_untrack() {
    local keep=() p
    for p in "${bench_pids[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    bench_pids=("${keep[@]}")
}

# Stops one child process of this script now rather than at exit.
bench_stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    bench_untrack "$1"
}

bench_mqscope() {
    if [ -z "${MQSCOPE:-}" ]; then
        (cd "$root" && cargo build --release --quiet --bin mqscope)
        MQSCOPE="$root/target/release/mqscope"
    fi
    [ -x "$MQSCOPE" ] || bench_fail "no mqscope at '$MQSCOPE'"
}

# N free TCP ports on loopback (the kernel picks them; mosquitto cannot bind port 0 and report it).
bench_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
}

# Starts mosquitto with a TCP listener and, given `ws`, a WebSocket one; waits until they accept.
bench_broker() {
    local mosquitto
    mosquitto=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    [ -x "$mosquitto" ] || bench_fail "mosquitto is required"
    read -r tcp_port ws_port < <(bench_ports 2)
    {
        echo "per_listener_settings false"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "max_queued_messages 0"
        echo "max_inflight_messages 0"
        echo "log_dest stderr"
        echo "log_type error"
        echo "log_type warning"
        echo "log_type subscribe"
        echo "listener $tcp_port 127.0.0.1"
        if [ "${1:-}" = ws ]; then
            echo "listener $ws_port 127.0.0.1"
            echo "protocol websockets"
        fi
    } >"$work/mosquitto.conf"
    "$mosquitto" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
    broker_pid=$!
    bench_track "$broker_pid"
    broker_version=$("$mosquitto" -h 2>/dev/null | head -1 || true)
    local _
    for _ in $(seq 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$tcp_port") 2>/dev/null \
            && { [ "${1:-}" != ws ] || (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null; }; then
            return 0
        fi
        kill -0 "$broker_pid" 2>/dev/null || { cat "$work/mosquitto.log" >&2; bench_fail "mosquitto did not start"; }
        sleep 0.05
    done
    bench_fail "mosquitto does not accept connections"
}

# Waits until the broker log shows a SUBSCRIBE from client ID to FILTER (log_type subscribe).
bench_wait_subscribed() {
    local id=$1 filter=$2 seconds=${3:-15}
    local deadline=$((SECONDS + seconds))
    until grep -qF " $id " "$work/mosquitto.log" 2>/dev/null && grep -F " $id " "$work/mosquitto.log" | grep -qF " $filter"; do
        [ $SECONDS -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

bench_now() { date +%s.%N; }

# CPU seconds used so far by PID (utime + stime from /proc/PID/stat, all threads).
bench_cpu() {
    local ticks
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null) || return 1
    awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", t / hz }'
}

# Peak resident memory of PID in KiB (VmHWM).
bench_hwm() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# The dashboard in its own tmux server at 200x60 (`$sock`, session SESSION), with the frame timer and
# its log in $work/mqscope.log, until TEXT shows (at most 15 s); its PID in $pid. Both are stopped at exit.
bench_tui() {
    local session=$1 text=$2 _
    shift 2
    sock="$work/tmux.sock"
    tmux -S "$sock" -f /dev/null new-session -d -s "$session" -x 200 -y 60 \
        "sh -c 'echo \$\$ > $work/pid; exec $MQSCOPE $* --frame-stats --log-file $work/mqscope.log'"
    bench_track "$(tmux -S "$sock" display -p -t "$session" '#{pid}')"
    for _ in $(seq 750); do tmux -S "$sock" capture-pane -p -t "$session" | grep -qF "$text" && break; sleep 0.02; done
    pid=$(cat "$work/pid")
    bench_track "$pid"
}
