#!/bin/sh
# Peak RSS of `mqscope replay` on a long recording (default 10,000,000 lines, about 1.6 GB), against
# the file's size: `replay --to` into a local mosquitto, and the dashboard replay in tmux (quit once
# it says "replay finished"). Needs mosquitto, tmux and GNU time. Usage: benches/replay_rss.sh [LINES]
set -eu
cd "$(dirname "$0")/.."
lines=${1:-10000000}
cargo build --release --quiet
bin=$PWD/target/release/mqscope
dir=$(mktemp -d)
mosq=
cleanup() {
    [ -n "$mosq" ] && kill "$mosq" 2>/dev/null
    tmux kill-session -t mqscope-replay-rss 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

python3 - "$dir/rec.jsonl" "$lines" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
pad = "x" * 64
with open(path, "w", buffering=1 << 20) as f:
    for i in range(n):
        f.write('{"ts":"2026-12-02T10:00:00.000Z","ts_ms":%d,"topic":"plant/line%d/sensor%d","qos":0,"retain":false,"payload":"%d %s"}\n'
                % (1764669600000 + i, i % 10, i % 997, i, pad))
PY
size=$(du -m "$dir/rec.jsonl" | cut -f1)
echo "recording: $lines lines, $size MiB"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$port" > "$dir/m.conf"
mosquitto -c "$dir/m.conf" >/dev/null 2>&1 &
mosq=$!
sleep 1

/usr/bin/time -f '%M %e' -o "$dir/to.txt" "$bin" replay "$dir/rec.jsonl" --max --to "mqtt://127.0.0.1:$port" --mqtt 3.1.1
read -r kib secs < "$dir/to.txt"
echo "replay --to: peak RSS $((kib / 1024)) MiB, $secs s"

tmux new-session -d -s mqscope-replay-rss -x 400 -y 48 \
    "/usr/bin/time -f '%M %e' -o '$dir/tui.txt' '$bin' replay '$dir/rec.jsonl' --max; sleep 1"
i=0
until tmux capture-pane -p -t mqscope-replay-rss | grep -q 'replay finished'; do
    i=$((i + 1))
    [ "$i" -gt 3600 ] && { echo "the dashboard replay did not finish within an hour"; exit 1; }
    sleep 1
done
tmux send-keys -t mqscope-replay-rss q
i=0
until [ -s "$dir/tui.txt" ]; do
    i=$((i + 1))
    [ "$i" -gt 30 ] && { echo "the dashboard did not quit"; exit 1; }
    sleep 1
done
read -r kib secs < "$dir/tui.txt"
echo "replay (dashboard, default 256 MiB history budget): peak RSS $((kib / 1024)) MiB, $secs s"
