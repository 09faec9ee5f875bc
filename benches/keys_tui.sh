#!/usr/bin/env bash
# Key responsiveness under load: the real dashboard in tmux at 200x60, subscribed to `#` on its own
# mosquitto, while benches/feed/feed.rs sends RATE msgs/s over TOPICS topics; keys are typed at a steady
# pace (moves, focus, sort order, help), and the dashboard's own frame timer gives the key-to-screen
# times (from reading the key to flushing the frame that shows it) in its log at exit.
#
#   benches/keys_tui.sh                               # 100,000 topics, 20,000 msgs/s
#   TOPICS=10000 RATE=20000 benches/keys_tui.sh
#   MQSCOPE=target/debug/mqscope benches/keys_tui.sh  # skip the release build
#   TABS=2 benches/keys_tui.sh                        # two brokers in two tabs, TOPICS and RATE each
#                                                     # (RATE defaults to 10,000 a broker then)
#
# Needs: mosquitto, tmux, rustc.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

TOPICS=${TOPICS:-100000}
TABS=${TABS:-1}
[ "$TABS" = 1 ] || [ "$TABS" = 2 ] || { echo "TABS is 1 or 2" >&2; exit 2; }
if [ "$TABS" = 2 ]; then RATE=${RATE:-10000}; else RATE=${RATE:-20000}; fi
SECS=${SECS:-20}
bench_init keys_tui
bench_need mosquitto tmux rustc
bench_mqscope
bench_broker
ports=("$tcp_port")
if [ "$TABS" = 2 ]; then
    bench_broker
    ports+=("$tcp_port")
fi
urls=()
for p in "${ports[@]}"; do urls+=(-u "mqtt://127.0.0.1:$p"); done
rustc --edition 2021 -O "$root/benches/feed/feed.rs" -o "$work/feed" || bench_fail "cannot build the feeder"
bench_tui keys "● connected" "${urls[@]}"
[ "$TABS" = 1 ] || for _ in $(seq 750); do
    [ "$(tmux -S "$sock" capture-pane -p -t keys | head -1 | grep -o ' up ' | wc -l)" = 2 ] && break; sleep 0.02
done

feeders=()
for p in "${ports[@]}"; do
    "$work/feed" "$p" $((RATE * SECS)) "$TOPICS" "$RATE" >"$work/feed-$p.out" &
    feeders+=($!)
    bench_track "$!"
done
sleep $((SECS / 4))
keys=(j j j k Tab Tab Tab o o o j k ? Escape Down Down Up End Home j k o)
# With two tabs, switch between them too ('}' next tab) so both are drawn under load.
[ "$TABS" = 1 ] || keys=(j j '}' k Tab '}' Tab o '}' o j '}' k ? Escape Down '}' Up End '}' Home j k o)
for k in "${keys[@]}"; do
    tmux -S "$sock" send-keys -t keys "$k"
    sleep 0.4
done
for f in "${feeders[@]}"; do
    wait "$f" || bench_fail "the feeder failed"
    bench_untrack "$f"
done
for p in "${ports[@]}"; do echo "feeder ($p): $(cat "$work/feed-$p.out")"; done
tmux -S "$sock" capture-pane -p -t keys | tail -2
tmux -S "$sock" send-keys -t keys q
for _ in $(seq 500); do [ -d "/proc/$pid" ] || break; sleep 0.02; done
grep -F 'frame stats (whole run)' "$work/mqscope.log" | tail -1 | sed 's/.*frame stats/frame stats/'
