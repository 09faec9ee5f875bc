#!/usr/bin/env bash
# The dashboard side by side with mqttui (https://github.com/EdJoPaTo/mqttui, built from source; pass its
# binary, or leave it out to measure mqscope alone): each in tmux at 200x60, subscribed to `#` on one
# mosquitto (benches/lib.sh: no queue limits), fed by the same pre-encoded QoS 0 stream of 76-byte PUBLISH
# packets from benches/feed/feed.rs (std only, its own byte template; built here with rustc -O).
#
# Loads, each on a freshly started dashboard (connected, then 1 s to settle):
#   steady-10k       20,000 msgs/s for 10 s over 10,000 topics: % of a core while it flows, peak RSS
#   after-10k        the 2 s after that traffic stops: % of a core
#   steady-10k-fps5  the same with mqscope --fps 5 (mqscope only; its ratio is against mqttui's steady-10k)
#   steady-100       20,000 msgs/s for 10 s over 100 topics
#   burst            100,000 msgs over 10,000 topics as fast as the broker takes them: CPU seconds over
#                    the 12 s from its start, and peak RSS
#   idle             connected, no traffic, 20 s: % of a core (the kernel counts in 10 ms ticks)
# CPU is utime + stime from /proc/PID/stat, peak RSS VmHWM from /proc/PID/status. The programs alternate
# within each round, the order turning; prints min and median per program and the ratio mqscope/mqttui.
#
#   benches/vs_mqttui.sh /path/to/mqttui           # 3 rounds
#   RUNS=5 LOADS="steady-10k burst" benches/vs_mqttui.sh /path/to/mqttui
#   MQSCOPE=target/release/mqscope benches/vs_mqttui.sh   # skip the release build; mqscope alone
#
# mqttui from source (cargo fetches its ratatui-logline-table dependency from git):
#   cargo install --locked --git https://github.com/EdJoPaTo/mqttui --tag v0.23.0 --root /tmp/mqttui
#   benches/vs_mqttui.sh /tmp/mqttui/bin/mqttui
#
# Knobs: RUNS, LOADS, RATE (20000), SECS (10), BURST (100000), BURST_WINDOW (12), IDLE_SECS (20),
# AFTER_SECS (2), SETTLE (1). Needs: mosquitto, tmux, python3, rustc. Everything started (broker, tmux
# server, dashboards, feeder) is stopped by PID at exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MQTTUI=${1:-${MQTTUI:-}}
RUNS=${RUNS:-3}
LOADS=${LOADS:-"steady-10k steady-10k-fps5 steady-100 burst idle"}
RATE=${RATE:-20000}
SECS=${SECS:-10}
BURST=${BURST:-100000}
BURST_WINDOW=${BURST_WINDOW:-12}
IDLE_SECS=${IDLE_SECS:-20}
AFTER_SECS=${AFTER_SECS:-2}
SETTLE=${SETTLE:-1}

bench_init vs_mqttui
bench_need mosquitto tmux python3 rustc
if [ -n "$MQTTUI" ]; then
    [ -x "$MQTTUI" ] || bench_fail "no mqttui at '$MQTTUI' (build it from source; see the script's header)"
fi
bench_mqscope
rustc --edition 2021 -O "$root/benches/feed/feed.rs" -o "$work/feed" || bench_fail "cannot build the feeder"
bench_broker
sock="$work/tmux.sock"

# One tmux server for the whole run, kept up by an idle session, so its PID stays ours until the end.
tmux -S "$sock" -f /dev/null new-session -d -s keep -x 200 -y 60 "sleep 86400"
bench_track "$(tmux -S "$sock" display -p -t keep '#{pid}')"
# The dashboards start through this: it leaves the PID where the script can read it.
cat >"$work/launch.sh" <<'EOF'
echo $$ >"$1"
err=$2
shift 2
exec "$@" 2>"$err"
EOF

# start NAME PROGRAM ARGS...: runs the dashboard in its own tmux session at 200x60; sets $pid once the
# broker has seen its SUBSCRIBE to `#`, then lets it settle.
start() {
    local name=$1
    shift
    local before
    before=$(grep -c ' #$' "$work/mosquitto.log" || true)
    rm -f "$work/pid"
    tmux -S "$sock" new-session -d -s "$name" -x 200 -y 60 \
        "$(printf '%q ' sh "$work/launch.sh" "$work/pid" "$work/stderr-$name" "$@")"
    local deadline=$((SECONDS + 20))
    until [ -s "$work/pid" ] && [ "$(grep -c ' #$' "$work/mosquitto.log" || true)" -gt "$before" ]; do
        if [ $SECONDS -ge $deadline ]; then
            tmux -S "$sock" capture-pane -p -t "$name" >&2 || true
            cat "$work/stderr-$name" >&2 || true
            bench_fail "$name did not subscribe to '#' within 20 s"
        fi
        sleep 0.05
    done
    pid=$(cat "$work/pid")
    bench_track "$pid"
    sleep "$SETTLE"
}

# stop NAME: ends the dashboard by its PID, then its tmux session.
stop() {
    kill "$pid" 2>/dev/null || true
    local _
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
    bench_untrack "$pid"
    tmux -S "$sock" kill-session -t "$1" 2>/dev/null || true
}

record() { echo "$1 $2 $3 $4" >>"$work/results"; }   # load program metric value
pct() { awk -v c="$1" -v w="$2" 'BEGIN { printf "%.2f", (w > 0 ? 100 * c / w : 0) }'; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# measure LOAD PROGRAM: one fresh dashboard, one load.
measure() {
    local load=$1 prog=$2 cmd
    case $prog in
        mqscope) cmd=("$MQSCOPE" -u "mqtt://127.0.0.1:$tcp_port" -t '#') ;;
        mqttui) cmd=("$MQTTUI" --broker "mqtt://127.0.0.1:$tcp_port" '#') ;;
    esac
    [ "$load" = steady-10k-fps5 ] && cmd+=(--fps 5)
    local name="vs-$prog-$load"
    start "$name" "${cmd[@]}"
    local c0 c1 c2 t0 t1 line=""
    case $load in
        steady-10k | steady-10k-fps5 | steady-100)
            local topics=10000
            [ "$load" = steady-100 ] && topics=100
            c0=$(bench_cpu "$pid"); t0=$(bench_now)
            line=$("$work/feed" "$tcp_port" $((RATE * SECS)) "$topics" "$RATE")
            c1=$(bench_cpu "$pid"); t1=$(bench_now)
            record "$load" "$prog" cpu_pct "$(pct "$(elapsed "$c0" "$c1")" "$(elapsed "$t0" "$t1")")"
            record "$load" "$prog" rss_mb "$(($(bench_hwm "$pid") / 1024))"
            if [ "$load" = steady-10k ]; then
                sleep "$AFTER_SECS"
                c2=$(bench_cpu "$pid")
                record after-10k "$prog" cpu_pct "$(pct "$(elapsed "$c1" "$c2")" "$AFTER_SECS")"
            fi
            ;;
        burst)
            c0=$(bench_cpu "$pid"); t0=$(bench_now)
            "$work/feed" "$tcp_port" "$BURST" 10000 0 >"$work/feed.out" &
            local feeder=$!
            bench_track "$feeder"
            sleep "$BURST_WINDOW"
            c1=$(bench_cpu "$pid")
            wait "$feeder" || bench_fail "the feeder failed"
            bench_untrack "$feeder"
            line=$(cat "$work/feed.out")
            record burst "$prog" cpu_s "$(elapsed "$c0" "$c1")"
            record burst "$prog" rss_mb "$(($(bench_hwm "$pid") / 1024))"
            ;;
        idle)
            c0=$(bench_cpu "$pid"); t0=$(bench_now)
            sleep "$IDLE_SECS"
            c1=$(bench_cpu "$pid"); t1=$(bench_now)
            record idle "$prog" cpu_pct "$(pct "$(elapsed "$c0" "$c1")" "$(elapsed "$t0" "$t1")")"
            record idle "$prog" rss_mb "$(($(bench_hwm "$pid") / 1024))"
            ;;
    esac
    kill -0 "$pid" 2>/dev/null || bench_fail "$prog exited during $load: $(cat "$work/stderr-$name")"
    stop "$name"
    printf '  round %d %-16s %-8s %s\n' "$round" "$load" "$prog" "${line:+($line)}"
}

programs=(mqscope)
[ -n "$MQTTUI" ] && programs+=(mqttui)
echo "mqscope: $MQSCOPE"
[ -n "$MQTTUI" ] && echo "mqttui:  $MQTTUI ($("$MQTTUI" --version 2>/dev/null || echo 'version unknown'))"
echo "broker:  $broker_version on tcp $tcp_port"
echo "loads:   $LOADS; $RATE msgs/s for $SECS s, burst $BURST; $RUNS rounds"
for round in $(seq "$RUNS"); do
    for load in $LOADS; do
        order=("${programs[@]}")
        if [ $((round % 2)) -eq 0 ]; then order=($(printf '%s\n' "${programs[@]}" | tac)); fi
        for prog in "${order[@]}"; do
            [ "$load" = steady-10k-fps5 ] && [ "$prog" != mqscope ] && continue
            measure "$load" "$prog"
        done
    done
done

echo
python3 - "$work/results" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    load, prog, metric, value = line.split()
    rows.setdefault((load, metric), {}).setdefault(prog, []).append(float(value))
units = {"cpu_pct": "% of a core", "cpu_s": "CPU s", "rss_mb": "peak RSS MB"}
order = ["steady-10k", "after-10k", "steady-10k-fps5", "steady-100", "burst", "idle"]
print("| load | measure | mqscope min | mqscope median | mqttui min | mqttui median | mqscope/mqttui (median) |")
print("|---|---|---|---|---|---|---|")
for load in order:
    for metric in ["cpu_pct", "cpu_s", "rss_mb"]:
        progs = rows.get((load, metric))
        if not progs:
            continue
        # mqttui has no --fps: the fps5 run compares with its default-rate run.
        peer = rows.get(("steady-10k" if load == "steady-10k-fps5" else load, metric), {}).get("mqttui")
        cells = []
        for values in (progs.get("mqscope"), peer):
            cells += [f"{min(values):.2f}", f"{statistics.median(values):.2f}"] if values else ["", ""]
        ratio = ""
        ours = progs.get("mqscope")
        if ours and peer and statistics.median(peer) > 0:
            ratio = f"{statistics.median(ours) / statistics.median(peer):.2f}x"
        print(f"| {load} | {units[metric]} | {' | '.join(cells)} | {ratio} |")
EOF
