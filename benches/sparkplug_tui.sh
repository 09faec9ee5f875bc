#!/usr/bin/env bash
# The dashboard absorbing a Sparkplug B flood: the real dashboard in tmux at 200x60, subscribed to `#`
# on its own mosquitto, while examples/sparkplug_flood.rs sends RATE DDATA messages a second (50 metrics
# each, by alias only, over DEVICES devices born with named metrics); the Sparkplug view (S) is opened
# and moved through, then the dashboard again. The dashboard's frame timer gives frame and key times
# (p50, p99, max) in its log at exit.
#
#   benches/sparkplug_tui.sh                          # 5,000 DDATA/s (250,000 metrics/s), 10 devices
#   RATE=10000 DEVICES=100 benches/sparkplug_tui.sh
#   MQSCOPE=path FLOOD=path benches/sparkplug_tui.sh   # skip the release builds
#   KEYS="$(printf 'j %.0s' {1..19})" benches/sparkplug_tui.sh
#       # other keys (tmux key names): these select a DDATA topic, whose detail pane (payload,
#       # chart, history with changes) the flood then renews
#
# Needs: mosquitto, tmux, cargo.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RATE=${RATE:-5000}
DEVICES=${DEVICES:-10}
SECS=${SECS:-20}
KEYS=${KEYS:-S j j j k Down Down Up Escape j j k Tab Tab S j Escape w w}
bench_init sparkplug_tui
bench_need mosquitto tmux
bench_mqscope
if [ -z "${FLOOD:-}" ]; then
    (cd "$root" && cargo build --release --quiet --example sparkplug_flood)
    FLOOD="${CARGO_TARGET_DIR:-$root/target}/release/examples/sparkplug_flood"
fi
[ -x "$FLOOD" ] || bench_fail "no sparkplug_flood at '$FLOOD'"
bench_broker
bench_tui sp "● connected" -u "mqtt://127.0.0.1:$tcp_port"

"$FLOOD" "$tcp_port" "$RATE" "$SECS" "$DEVICES" 2>"$work/flood.out" &
flood=$!
bench_track "$flood"
sleep $((SECS / 4))
for k in $KEYS; do
    tmux -S "$sock" send-keys -t sp "$k"
    sleep 0.4
done
wait "$flood" || bench_fail "the flood failed: $(cat "$work/flood.out")"
bench_untrack "$flood"
echo "flood: $(cat "$work/flood.out")"
tmux -S "$sock" send-keys -t sp S
sleep 1
tmux -S "$sock" capture-pane -p -t sp | head -8
tmux -S "$sock" capture-pane -p -t sp | tail -1
tmux -S "$sock" send-keys -t sp q
for _ in $(seq 500); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
grep -F 'frame stats (whole run)' "$work/mqscope.log" | tail -1 | sed 's/.*frame stats/frame stats/'
