#!/usr/bin/env bash
# End-to-end subscriber throughput through one mosquitto (benches/lib.sh: free ports, no queue limits, TCP
# and WebSocket listeners): `mqscope sub -C N` over WebSocket and over TCP against `mosquitto_sub -C N`
# over TCP, all writing to /dev/null. Programs alternate within each round, the order rotating. Reports
# min and median seconds, msgs/s, CPU seconds (the subscriber's own user + system time) and peak RSS.
#
# Two modes:
#   live  (default) 1,000,000 QoS 0 messages of 64 bytes over 1,000 topics flood the broker while each
#         subscriber listens (its SUBSCRIBE seen by the broker first); its time runs from the first flood
#         byte to its exit. Single-threaded mosquitto is usually the limit here: all three subscribers
#         then take about as long, and "CPU s" shows how much of that is the subscriber.
#   drain 200,000 QoS 1 messages are queued by the broker for a persistent session (MQTT 3.1.1, clean
#         session off, made by `mosquitto_sub -c -E` under the subscriber's client id) while it is away;
#         the subscriber then connects and takes them all, acknowledging each. Its time runs from its
#         start to its exit; the CPU ratio against mosquitto_sub is the number to watch.
#
#   benches/e2e.sh                               # live, 5 rounds
#   MODE=drain benches/e2e.sh                    # the queued drain, 5 rounds
#   RUNS=3 MESSAGES=200000 benches/e2e.sh
#   MQSCOPE=path/to/mqscope benches/e2e.sh       # skip the release build
#
# The flood is pre-encoded MQTT bytes (CONNECT, the PUBLISH packets, DISCONNECT) written once to the temp
# directory and pushed over several raw TCP connections, so the publisher is not what gets measured.
# Needs: mosquitto, mosquitto_sub, python3, /usr/bin/time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MODE=${MODE:-live}
case $MODE in
    live) QOS=0; MESSAGES=${MESSAGES:-1000000} ;;
    drain) QOS=1; MESSAGES=${MESSAGES:-200000} ;;
    *) echo "e2e: MODE must be live or drain" >&2; exit 2 ;;
esac
RUNS=${RUNS:-5}
TOPICS=${TOPICS:-1000}
PAYLOAD=${PAYLOAD:-64}
CONNS=${CONNS:-4}
LIMIT=${LIMIT:-300}

bench_init e2e
bench_need mosquitto mosquitto_sub python3
[ -x /usr/bin/time ] || bench_fail "/usr/bin/time is required (apt-get install time)"
bench_mqscope
bench_broker ws

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

def generate(directory, messages, topics, payload, conns, qos):
    files = [open(os.path.join(directory, f"flood-{c}.bin"), "wb") for c in range(conns)]
    for c, f in enumerate(files):
        f.write(connect(f"e2e-flood-{c}"))
    filler = b"x" * payload
    for i in range(messages):
        topic = f"bench/t{i % topics:04d}".encode()
        # QoS 1 carries a packet id; the broker acknowledges each and the sender reads the acks.
        pid = (i // conns % 65535 + 1).to_bytes(2, "big") if qos else b""
        body = len(topic).to_bytes(2, "big") + topic + pid + (b"%010d" % i + filler)[:payload]
        files[i % conns].write(packet(0x30 | (qos << 1), body))
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
        # The broker closes after DISCONNECT, so EOF means every packet before it was taken.
        while s.recv(65536):
            pass
        s.close()
    except Exception as e:
        errors.append(e)

if sys.argv[1] == "generate":
    generate(sys.argv[2], *map(int, sys.argv[3:8]))
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
python3 "$work/flood.py" generate "$work" "$MESSAGES" "$TOPICS" "$PAYLOAD" "$CONNS" "$QOS"
flood() { python3 "$work/flood.py" send "$tcp_port" "$work" "$CONNS"; }

# run NAME ROUND ID COMMAND...: live: starts the subscriber, waits for its SUBSCRIBE, floods; drain:
# makes the persistent session, floods, starts the subscriber. Then waits for it to exit and appends
# "NAME seconds rss_kb cpu_s" to results.
run() {
    local name=$1 round=$2 id=$3
    shift 3
    local tlog="$work/time-$name-$round" err="$work/err-$name-$round"
    if [ "$MODE" = drain ]; then
        mosquitto_sub -h 127.0.0.1 -p "$tcp_port" -c -i "$id" -q 1 -t 'bench/#' -E 2>"$err" \
            || { cat "$err" >&2; bench_fail "$name: could not make the persistent session"; }
        flood
    fi
    local t0 t1
    t0=$(bench_now)
    /usr/bin/time -v -o "$tlog" timeout "$LIMIT" "$@" >/dev/null 2>"$err" &
    local pid=$!
    bench_track "$pid"
    if [ "$MODE" = live ]; then
        bench_wait_subscribed "$id" "bench/#" 10 || { cat "$err" >&2; bench_fail "$name never subscribed"; }
        t0=$(bench_now)
        flood
    fi
    if ! wait "$pid"; then
        cat "$err" >&2
        bench_fail "$name failed or timed out (round $round)"
    fi
    t1=$(bench_now)
    local secs rss cpu
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tlog")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$tlog")
    echo "$name $secs $rss $cpu" >>"$work/results"
    printf '  round %d %-24s %7.3f s  %6d KB  cpu %6.2f s\n' "$round" "$name" "$secs" "$rss" "$cpu"
}

echo "mqscope: $MQSCOPE"
echo "broker:  $broker_version on tcp $tcp_port, ws $ws_port"
echo "mode:    $MODE: $MESSAGES QoS $QOS messages x $PAYLOAD bytes over $TOPICS topics, $CONNS publisher connections; $RUNS rounds"
if [ "$MODE" = drain ]; then
    sub_opts=(-q 1 --mqtt 3.1.1 --no-clean)
    mosq_opts=(-q 1 -c)
else
    sub_opts=()
    mosq_opts=()
fi
for round in $(seq "$RUNS"); do
    order=("mqscope-ws" "mqscope-tcp" "mosquitto_sub-tcp")
    shift_by=$(( (round - 1) % 3 ))
    order=("${order[@]:$shift_by}" "${order[@]:0:$shift_by}")
    for name in "${order[@]}"; do
        id="e2e-$name-$round"
        case $name in
            mqscope-ws)
                run "$name" "$round" "$id" "$MQSCOPE" sub -u "ws://127.0.0.1:$ws_port/mqtt" -t 'bench/#' \
                    "${sub_opts[@]}" -C "$MESSAGES" --client-id "$id" ;;
            mqscope-tcp)
                run "$name" "$round" "$id" "$MQSCOPE" sub -u "mqtt://127.0.0.1:$tcp_port" -t 'bench/#' \
                    "${sub_opts[@]}" -C "$MESSAGES" --client-id "$id" ;;
            mosquitto_sub-tcp)
                run "$name" "$round" "$id" mosquitto_sub -h 127.0.0.1 -p "$tcp_port" -t 'bench/#' \
                    "${mosq_opts[@]}" -C "$MESSAGES" -i "$id" ;;
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
print("| program / transport | runs | min s | median s | msgs/s (median) | msgs/s (best) | CPU s (min) | CPU s (median) | peak RSS |")
print("|---|---|---|---|---|---|---|---|---|")
for name in ["mqscope-ws", "mqscope-tcp", "mosquitto_sub-tcp"]:
    if name not in rows:
        continue
    secs = [r[0] for r in rows[name]]
    rss = max(r[1] for r in rows[name])
    cpus = [r[2] for r in rows[name]]
    lo, med = min(secs), statistics.median(secs)
    print(f"| {name} | {len(secs)} | {lo:.3f} | {med:.3f} | {n / med:,.0f} | {n / lo:,.0f} | {min(cpus):.2f} | {statistics.median(cpus):.2f} | {rss / 1024:.1f} MB |")
base = rows.get("mosquitto_sub-tcp")
if base:
    bmin, bmed = min(r[2] for r in base), statistics.median(r[2] for r in base)
    for name in ["mqscope-ws", "mqscope-tcp"]:
        if name in rows and bmin > 0 and bmed > 0:
            cpus = [r[2] for r in rows[name]]
            print(f"CPU {name} / mosquitto_sub-tcp: {min(cpus) / bmin:.2f}x (min), {statistics.median(cpus) / bmed:.2f}x (median)")
EOF
