#!/bin/sh
# CPU time and peak RSS of `mqscope diff` while two floods cross a local mosquitto bridge, and the
# delay distribution it measures: B is bridged to A (A's factory/line1/# appears on B as
# site1/factory/line1/#; B's cmd/# goes to A). N messages (default 100,000) on N distinct topics
# are published on each side at once with `replay --to --max` (QoS 1), so each side sees 2N messages
# on 2N topics. Needs mosquitto and GNU time. Usage: benches/diff_flood.sh [N]; MQSCOPE_BIN=PATH
# measures that binary instead of a fresh release build.
set -eu
cd "$(dirname "$0")/.."
n=${1:-100000}
if [ -z "${MQSCOPE_BIN:-}" ]; then
    cargo build --release --quiet --no-default-features --bin mqscope
fi
bin=${MQSCOPE_BIN:-$PWD/target/release/mqscope}
dir=$(mktemp -d)
pids=
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

python3 - "$dir" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
pad = "x" * 32
for name, prefix in (("a", "factory/line1/s"), ("b", "cmd/s")):
    with open(f"{d}/{name}.jsonl", "w", buffering=1 << 20) as f:
        for i in range(n):
            f.write('{"ts":"2026-12-02T10:00:00.000Z","ts_ms":%d,"topic":"%s%d","qos":1,"retain":false,"payload":"%d %s"}\n'
                    % (1764669600000 + i, prefix, i, i, pad))
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pa=$(free_port)
pb=$(free_port)
common='allow_anonymous true
max_queued_messages 0
max_inflight_messages 0
persistence false'
printf 'listener %s 127.0.0.1\n%s\n' "$pa" "$common" > "$dir/a.conf"
printf 'listener %s 127.0.0.1\n%s\nconnection to_a\naddress 127.0.0.1:%s\ncleansession true\ntopic line1/# in 1 site1/factory/ factory/\ntopic cmd/# out 1\n' \
    "$pb" "$common" "$pa" > "$dir/b.conf"
mosquitto -c "$dir/a.conf" >/dev/null 2>&1 &
pids="$pids $!"
mosquitto -c "$dir/b.conf" >/dev/null 2>&1 &
pids="$pids $!"
# The bridge is up once a message on A's carried tree reaches B.
i=0
until mosquitto_sub -p "$pb" -t site1/factory/line1/probe -C 1 -W 1 --retained-only >/dev/null 2>&1; do
    mosquitto_pub -p "$pa" -t factory/line1/probe -m up -r -q 1 2>/dev/null || true
    i=$((i + 1))
    [ "$i" -gt 30 ] && { echo "the bridge did not come up"; exit 1; }
done
mosquitto_pub -p "$pa" -t factory/line1/probe -r -n -q 1

/usr/bin/time -f '%U %S %M %e' -o "$dir/time.txt" "$bin" diff -u "mqtt://127.0.0.1:$pa" -u "mqtt://127.0.0.1:$pb" -t 'factory/#' -t 'cmd/#' \
    --map factory/=site1/factory/ --duration 1h --max-delay 5s -F json > "$dir/out.json" 2> "$dir/err.txt" &
diff_pid=$!
pids="$pids $diff_pid"
# diff counts from --max-delay (5 s) after it subscribed; the floods start well after that (a loaded
# machine may take seconds to connect), as messages before are not counted.
sleep 12
start=$(date +%s.%N)
"$bin" replay "$dir/a.jsonl" --max --to "mqtt://127.0.0.1:$pa" --mqtt 3.1.1 &
ra=$!
"$bin" replay "$dir/b.jsonl" --max --to "mqtt://127.0.0.1:$pb" --mqtt 3.1.1 &
rb=$!
wait "$ra" "$rb"
echo "both floods published in $(echo "$(date +%s.%N) - $start" | bc) s"
# Ctrl-C ends the live part; diff still waits up to --max-delay for messages on their way. The signal
# goes to diff itself, the child of GNU time (which ignores it).
kill -INT "$(pgrep -P "$diff_pid")"
code=0
wait "$diff_pid" || code=$?
cat "$dir/err.txt"
read -r user sys kib secs <<EOF
$(tail -n 1 "$dir/time.txt")
EOF
echo "diff: CPU ${user} s user + ${sys} s system over ${secs} s, peak RSS $((kib / 1024)) MiB"
python3 - "$dir/out.json" "$code" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
m, d = r["messages"], r["delay"]
print(f"diff exit {sys.argv[2]}: result {r['result']}")
print(f"topics: {r['topics']['both']} on both, {len(r['topics']['only_a'])} only on A, {len(r['topics']['only_b'])} only on B")
print(f"messages: A {m['a']}, B {m['b']}; of A's {m['a_seen_on_b']} seen on B, {m['a_lost']} lost; of B's {m['b_seen_on_a']} seen on A, {m['b_not_on_a']} never on A")
for k in ("a_to_b", "b_to_a"):
    x = d[k]
    if x:
        print(f"delay {k} (first copy to second): p50 {x['p50_ms']:.2f} ms, p99 {x['p99_ms']:.2f} ms, max {x['max_ms']:.2f} ms ({x['count']} messages)")
print("not checked:", r["not_checked"])
PY
