#!/usr/bin/env bash
# Frame times with a big JSON payload open in the detail pane's tree, measured by the dashboard's own
# frame timer: the dashboard in tmux at 200x60, one retained JSON payload of about SIZE bytes (default
# 1,040,000: just under the 1 MiB up to which payloads are decoded; an object with an array of sensor
# objects) on mosquitto, the topic selected, `T` opens the tree, then
# fold all, unfold all, moves and pages, each key twice a second. Prints the dashboard's
# `frame stats (whole run)` line (frame, prepare, draw, flush and key p50 / p99 / max) and the status
# line's memory figure with the tree open.
#
#   benches/json_tree_tui.sh
#   SIZE=4194304 MQSCOPE=target/release/mqscope benches/json_tree_tui.sh
#
# Needs: mosquitto, mosquitto_pub, tmux, python3.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SIZE=${SIZE:-1040000}
bench_init json_tree_tui
bench_need mosquitto mosquitto_pub tmux python3
bench_mqscope
bench_broker
python3 - "$SIZE" >"$work/big.json" <<'EOF'
import json, sys
size = int(sys.argv[1])
sensors, i = [], 0
doc = {"site": "plant/1", "sensors": sensors}
while len(json.dumps(doc)) < size:
    for _ in range(100):
        sensors.append({"name": f"sensor-{i}", "temp": 20 + i % 17 * 0.5, "ok": i % 3 != 0, "tags": ["a", "b"]})
        i += 1
print(json.dumps(doc))
EOF
echo "payload: $(wc -c <"$work/big.json") bytes"
mosquitto_pub -h 127.0.0.1 -p "$tcp_port" -t big/json -r -f "$work/big.json"
bench_tui tree "json" -u "mqtt://127.0.0.1:$tcp_port" -t "big/#"
keys() {
    local k
    for k in "$@"; do
        tmux -S "$sock" send-keys -t tree "$k"
        sleep 0.5
    done
}
# Select the topic through the filter (it selects the first match), then open the tree.
keys / j s o n Enter T
for _ in $(seq 200); do tmux -S "$sock" capture-pane -p -t tree | grep -qF '"sensors"' && break; sleep 0.05; done
keys C E j j j j PageDown PageDown PageDown End Home C l j l E PageDown
tmux -S "$sock" capture-pane -p -t tree >"$work/screen.txt"
[ -n "${SHOW:-}" ] && cat "$work/screen.txt"
grep -oE "mem [0-9.]+ MiB \(kept [^)]*\)" "$work/screen.txt" | tail -1
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
echo "RSS with the tree open: $((rss / 1024)) MiB"
tmux -S "$sock" send-keys -t tree q
for _ in $(seq 500); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
grep -F 'frame stats (whole run)' "$work/mqscope.log" | tail -1 | sed 's/.*frame stats/frame stats/'
