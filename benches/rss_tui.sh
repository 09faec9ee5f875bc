#!/usr/bin/env bash
# The real dashboard in tmux against its own mosquitto, flooded with COUNT payloads of 1 MiB over 50
# topics at `--memory BUDGET`: prints the peak and current RSS (VmHWM, VmRSS) against the budget, then
# sets a log filter and times keys (each key's effect on screen) over that log of large payloads.
#
#   benches/rss_tui.sh                          # 2,000 payloads of 1 MiB, --memory 64
#   COUNT=500 BUDGET=32 benches/rss_tui.sh
#   MQSCOPE=target/debug/mqscope benches/rss_tui.sh   # skip the release build
#
# Needs: mosquitto, mosquitto_pub, tmux, python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

COUNT=${COUNT:-2000}
BUDGET=${BUDGET:-64}
bench_init rss_tui
bench_need mosquitto mosquitto_pub tmux python3
bench_mqscope
bench_broker
port=$tcp_port
sock="$work/tmux.sock"

screen() { tmux -S "$sock" capture-pane -p -t rss; }
wait_for() { # text, seconds
    local deadline=$((SECONDS + $2))
    until screen | grep -qF -- "$1"; do
        [ $SECONDS -lt $deadline ] || { screen >&2; bench_fail "timed out waiting for '$1'"; }
        sleep 0.02
    done
}
now_ms() { date +%s%3N; }

tmux -S "$sock" -f /dev/null new-session -d -s rss -x 160 -y 48 \
    "sh -c 'echo \$\$ > $work/pid; exec $MQSCOPE -u mqtt://127.0.0.1:$port -q 1 --memory $BUDGET --log-file $work/mqscope.log'"
bench_track "$(tmux -S "$sock" display -p -t rss '#{pid}')"
wait_for "● connected" 15
pid=$(cat "$work/pid")
bench_track "$pid"

head -c $((1 << 20)) /dev/zero | tr '\0' x >"$work/line"
echo >>"$work/line"
per=$((COUNT / 50))
for t in $(seq 0 49); do
    for _ in $(seq "$per"); do cat "$work/line"; done | mosquitto_pub -p "$port" -t "cam/$t" -q 1 -l
done
total=$((per * 50))
label=$total
[ "$total" -ge 1000 ] && label=$(awk -v n="$total" 'BEGIN { if (n < 10000) printf "%.1fk", n / 1000; else printf "%dk", n / 1000 }')
wait_for "total $label " 600
hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$pid/status")
rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status")
echo "$total payloads of 1 MiB at --memory $BUDGET: peak RSS $hwm MiB, now $rss MiB"
screen | tail -1

# A filter over the log, then keys: the time from sending each key to its effect on screen.
tmux -S "$sock" send-keys -t rss Tab
wait_for "┏ Messages" 10
tmux -S "$sock" send-keys -t rss / && tmux -S "$sock" send-keys -t rss -l needle && tmux -S "$sock" send-keys -t rss Enter
wait_for "filter 'needle'" 10
worst=0
for _ in 1 2 3 4 5; do
    t0=$(now_ms); tmux -S "$sock" send-keys -t rss '?'; wait_for "mqscope keys" 10; t1=$(now_ms)
    tmux -S "$sock" send-keys -t rss Escape
    until ! screen | grep -qF "mqscope keys"; do sleep 0.01; done
    t2=$(now_ms)
    for d in $((t1 - t0)) $((t2 - t1)); do [ "$d" -gt "$worst" ] && worst=$d; done
done
echo "worst key latency with a filtered log: $worst ms (includes tmux's capture polling)"

# The dashboard's own figure: key-to-screen times from its frame timer, written to the log at exit.
tmux -S "$sock" send-keys -t rss q
for _ in $(seq 500); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
grep -F 'frame stats (whole run)' "$work/mqscope.log" | tail -1 | sed 's/.*frame stats/frame stats/'
