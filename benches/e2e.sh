#!/usr/bin/env bash
# End-to-end subscriber throughput: one mosquitto (own config, free ports, no queue limits, TCP and
# WebSocket listeners) is flooded with 1,000,000 QoS 0 messages of 64 bytes over 1,000 topics, and
# `mqscope sub -C N` over WebSocket and over TCP is timed against `mosquitto_sub -C N` over TCP, all
# writing to /dev/null. Programs alternate within each round; every subscriber is started (and its
# SUBSCRIBE seen by the broker) before the flood. Reports min and median seconds, msgs/s and peak RSS.
#
# The flood is pre-encoded MQTT bytes (CONNECT, the PUBLISH packets, DISCONNECT) written once to a temp
# directory and pushed over several raw TCP connections, so the publisher is not what gets measured.
#
#   benches/e2e.sh                  # 5 rounds, 1,000,000 messages
#   RUNS=3 MESSAGES=200000 benches/e2e.sh
#   MQSCOPE=path/to/mqscope benches/e2e.sh   # skip the release build
#
# Needs: mosquitto, mosquitto_sub, python3, /usr/bin/time. The time for one subscriber runs from the
# first flood byte to its exit; "CPU s" is the subscriber's own user + system time, which shows how much
# of the wall time is the subscriber and how much the broker (single-threaded mosquitto is usually the
# limit: all three subscribers then take about as long).
set -euo pipefail

RUNS=${RUNS:-5}
MESSAGES=${MESSAGES:-1000000}
TOPICS=${TOPICS:-1000}
PAYLOAD=${PAYLOAD:-64}
CONNS=${CONNS:-4}
LIMIT=${LIMIT:-300}

root=$(cd "$(dirname "$0")/.." && pwd)
for tool in mosquitto mosquitto_sub python3; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || { echo "e2e: $tool is required" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "e2e: /usr/bin/time is required (apt-get install time)" >&2; exit 1; }
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

if [ -z "${MQSCOPE:-}" ]; then
    (cd "$root" && cargo build --release --quiet)
    MQSCOPE="$root/target/release/mqscope"
fi

work=$(mktemp -d)
broker_pid=""
cleanup() {
    if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

read -r tcp_port ws_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
EOF
)

cat >"$work/mosquitto.conf" <<EOF
per_listener_settings false
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 0
log_dest stderr
log_type error
log_type warning
log_type subscribe
listener $tcp_port 127.0.0.1
listener $ws_port 127.0.0.1
protocol websockets
EOF
"$MOSQUITTO" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!

# Generates the flood once (one file per connection) and sends it; see `flood` below.
cat >"$work/flood.py" <<'EOF'
import os, socket, sys, threading

def varint(n):
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def packet(kind, body):
    return bytes([kind]) + varint(len(body)) + body

def connect(client_id):
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
    return packet(0x10, body)

def generate(directory, messages, topics, payload, conns):
    files = [open(os.path.join(directory, f"flood-{c}.bin"), "wb") for c in range(conns)]
    for c, f in enumerate(files):
        f.write(connect(f"e2e-flood-{c}"))
    filler = b"x" * payload
    for i in range(messages):
        topic = f"bench/t{i % topics:04d}".encode()
        body = len(topic).to_bytes(2, "big") + topic + (b"%010d" % i + filler)[:payload]
        files[i % conns].write(packet(0x30, body))
    for f in files:
        f.write(b"\xe0\x00")
        f.close()

def send(port, path, errors):
    try:
        data = open(path, "rb").read()
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        # CONNECT goes first; the broker answers CONNACK before it reads the rest.
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
        s.close()
    except Exception as e:
        errors.append(e)

if sys.argv[1] == "generate":
    generate(sys.argv[2], *map(int, sys.argv[3:7]))
else:
    port, directory, conns = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    errors = []
    threads = [threading.Thread(target=send, args=(port, os.path.join(directory, f"flood-{c}.bin"), errors))
               for c in range(conns)]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors:
        sys.exit(f"flood failed: {errors}")
EOF
python3 "$work/flood.py" generate "$work" "$MESSAGES" "$TOPICS" "$PAYLOAD" "$CONNS"

for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$tcp_port") 2>/dev/null && break
    sleep 0.05
done

now() { date +%s.%N; }

# run NAME ROUND COMMAND...: starts the subscriber, waits for its SUBSCRIBE in the broker log, floods,
# waits for it to exit; appends "NAME seconds rss_kb" to results.
run() {
    local name=$1 round=$2 id=$3
    shift 3
    local tlog="$work/time-$name-$round"
    /usr/bin/time -v -o "$tlog" timeout "$LIMIT" "$@" >/dev/null 2>"$work/err-$name-$round" &
    local pid=$!
    local waited=0
    until grep -q " $id 0 bench/#" "$work/mosquitto.log" 2>/dev/null; do
        sleep 0.02
        waited=$((waited + 1))
        if [ "$waited" -gt 500 ]; then echo "e2e: $name never subscribed" >&2; cat "$work/err-$name-$round" >&2; exit 1; fi
    done
    local t0 t1
    t0=$(now)
    python3 "$work/flood.py" send "$tcp_port" "$work" "$CONNS"
    if ! wait "$pid"; then
        echo "e2e: $name failed or timed out (round $round):" >&2
        cat "$work/err-$name-$round" >&2
        exit 1
    fi
    t1=$(now)
    local rss cpu
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tlog")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$tlog")
    echo "$name $(python3 -c "print(f'{$t1 - $t0:.3f}')") $rss $cpu" >>"$work/results"
    printf '  round %d %-24s %7.3f s  %6d KB  cpu %6.2f s\n' "$round" "$name" "$(python3 -c "print($t1 - $t0)")" "$rss" "$cpu"
}

echo "mqscope: $MQSCOPE"
echo "broker:  $("$MOSQUITTO" -h 2>/dev/null | head -1) on tcp $tcp_port, ws $ws_port"
echo "flood:   $MESSAGES QoS 0 messages x $PAYLOAD bytes over $TOPICS topics, $CONNS publisher connections; $RUNS rounds"
for round in $(seq "$RUNS"); do
    # Rotate the order each round so no program always goes first.
    order=("mqscope-ws" "mqscope-tcp" "mosquitto_sub-tcp")
    shift_by=$(( (round - 1) % 3 ))
    order=("${order[@]:$shift_by}" "${order[@]:0:$shift_by}")
    for name in "${order[@]}"; do
        id="e2e-$name-$round"
        case $name in
            mqscope-ws)
                run "$name" "$round" "$id" "$MQSCOPE" sub -u "ws://127.0.0.1:$ws_port/mqtt" -t 'bench/#' \
                    -C "$MESSAGES" --client-id "$id" ;;
            mqscope-tcp)
                run "$name" "$round" "$id" "$MQSCOPE" sub -u "mqtt://127.0.0.1:$tcp_port" -t 'bench/#' \
                    -C "$MESSAGES" --client-id "$id" ;;
            mosquitto_sub-tcp)
                run "$name" "$round" "$id" mosquitto_sub -h 127.0.0.1 -p "$tcp_port" -t 'bench/#' \
                    -C "$MESSAGES" -i "$id" ;;
        esac
    done
done

echo
python3 - "$work/results" "$MESSAGES" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, secs, rss, cpu = line.split()
    rows.setdefault(name, []).append((float(secs), int(rss), float(cpu)))
n = int(sys.argv[2])
print("| program / transport | runs | min s | median s | msgs/s (median) | msgs/s (best) | CPU s (median) | peak RSS |")
print("|---|---|---|---|---|---|---|---|")
for name in ["mqscope-ws", "mqscope-tcp", "mosquitto_sub-tcp"]:
    if name not in rows:
        continue
    secs = [r[0] for r in rows[name]]
    rss = max(r[1] for r in rows[name])
    cpu = statistics.median(r[2] for r in rows[name])
    lo, med = min(secs), statistics.median(secs)
    print(f"| {name} | {len(secs)} | {lo:.3f} | {med:.3f} | {n / med:,.0f} | {n / lo:,.0f} | {cpu:.2f} | {rss / 1024:.1f} MB |")
EOF
