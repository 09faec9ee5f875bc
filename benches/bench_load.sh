#!/usr/bin/env bash
# `mqscope bench` as a load generator, side by side with the others available here, through one
# mosquitto (benches/lib.sh: no queue limits) with one `mosquitto_sub` on `bench/#` so the broker
# forwards what it takes in:
#
#   rate      COUNT QoS 0 messages of 64 bytes from one client, as fast as each generator goes:
#             mqscope bench pub (tcp, ws, and 4 clients over tcp), `mosquitto_pub -l` fed from a
#             file through a pipe, and an MQTT.js loop (1,000 publishes in flight) when given the
#             node_modules folder holding `mqtt` (npm install mqtt). A `mosquitto_sub -C COUNT` takes
#             every message (the run fails if one is missing): messages/s delivered (until the
#             subscriber has them all), the generator's CPU seconds, the broker's in the same window,
#             and their ratio.
#   latency   mqscope bench latency, 4 publishers and one subscriber in one process, QoS 0 and 1,
#             LAT_SECS each, at each total rate of LAT_RATES: the schedule, the accounting and
#             p50 / p90 / p99 / p99.9 / p99.99 / max from its report.
#   conn      mqscope bench conn with CONNS connections (default 10,000) over tcp and ws: connect time
#             percentiles, failures, and its RSS per connection.
#
#   benches/bench_load.sh [PATH/TO/node_modules]          # 3 rounds of `rate`, then latency and conn
#   RUNS=5 COUNT=2000000 PARTS="rate" benches/bench_load.sh
#   MQSCOPE=target/release/mqscope benches/bench_load.sh  # skip the release build
#
# Knobs: RUNS (3), COUNT (1000000), PARTS ("rate latency conn"), CONNS (10000), LAT_SECS (20),
# LAT_RATES ("10000 20000 40000").
# Needs: mosquitto, mosquitto_pub, mosquitto_sub, python3 (node for MQTT.js). The open-file limit is
# raised for the broker and the generators (root, or a hard limit of at least CONNS + 100).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MQTTJS=${1:-${MQTTJS:-}}
RUNS=${RUNS:-3}
COUNT=${COUNT:-1000000}
PARTS=${PARTS:-"rate latency conn"}
CONNS=${CONNS:-10000}
LAT_SECS=${LAT_SECS:-20}
LAT_RATES=${LAT_RATES:-"10000 20000 40000"}

bench_init bench_load
bench_need mosquitto mosquitto_pub mosquitto_sub python3
if [ -n "$MQTTJS" ]; then
    [ -d "$MQTTJS/mqtt" ] || bench_fail "no mqtt package in '$MQTTJS' (npm install mqtt, then pass its node_modules)"
    bench_need node
fi
ulimit -n $((CONNS + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
bench_mqscope
bench_broker ws
url_tcp="mqtt://127.0.0.1:$tcp_port"
url_ws="ws://127.0.0.1:$ws_port/mqtt"
echo "mqscope: $MQSCOPE"
echo "broker:  ${broker_version:-mosquitto} (tcp $tcp_port, ws $ws_port)"

cat >"$work/timed.py" <<'EOF'
import os, sys, time, subprocess
t = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdin=open(sys.argv[1]) if sys.argv[1] != "-" else subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = time.monotonic() - t
code = os.waitstatus_to_exitcode(status)
print(f"{wall:.3f} {ru.ru_utime + ru.ru_stime:.3f} {code}")
EOF
run() {
    local name=$1 input=$2
    shift 2
    local b0 b1 t0 t1 out sink sunk
    runs=$((runs + 1))
    # A subscriber that leaves after COUNT messages: the run ends when everything was delivered.
    mosquitto_sub -h 127.0.0.1 -p "$tcp_port" -t 'bench/#' -i "sink$runs" -C "$COUNT" -W 300 >/dev/null &
    sink=$!
    bench_track "$sink"
    bench_wait_subscribed "sink$runs" 'bench/#' || bench_fail "the sink did not subscribe"
    b0=$(bench_cpu "$broker_pid")
    t0=$(bench_now)
    out=$(python3 "$work/timed.py" "$input" "$@")
    sunk=0
    wait "$sink" || sunk=$?
    t1=$(bench_now)
    b1=$(bench_cpu "$broker_pid")
    read -r wall cpu code <<<"$out"
    [ "$code" = 0 ] || bench_fail "$name exited $code"
    [ "$sunk" = 0 ] || bench_fail "$name: the subscriber did not get all $COUNT messages within 300 s"
    local e2e
    e2e=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "$name $e2e $cpu $(awk -v a="$b0" -v b="$b1" 'BEGIN { printf "%.3f", b - a }') $wall" >>"$work/rate"
    printf '  %-16s sent in %6.2f s, delivered %8.0f msgs/s  cpu %6.2f s  broker %6.2f s\n' "$name" "$wall" \
        "$(awk -v w="$e2e" -v n="$COUNT" 'BEGIN { print n / w }')" "$cpu" "$(awk -v a="$b0" -v b="$b1" 'BEGIN { print b - a }')"
}
runs=0

if [[ " $PARTS " == *" rate "* ]]; then
    # 63 characters and a newline: mosquitto_pub -l sends 63-byte payloads, the others 64.
    python3 -c "import sys; sys.stdout.write(('x' * 63 + '\n') * $COUNT)" >"$work/lines"
    if [ -n "$MQTTJS" ]; then
        cat >"$work/mqttjs.js" <<'EOF'
const mqtt = require("mqtt");
const [url, count] = [process.argv[2], Number(process.argv[3])];
const payload = Buffer.alloc(64, 120);
const c = mqtt.connect(url, { clientId: "bench-mqttjs" });
c.on("connect", async () => {
  let sent = 0;
  while (sent < count) {
    const n = Math.min(1000, count - sent);
    await new Promise((done) => {
      let left = n;
      for (let i = 0; i < n; i++) c.publish("bench/js", payload, { qos: 0 }, () => { if (--left === 0) done(); });
    });
    sent += n;
  }
  c.end(false, {}, () => process.exit(0));
});
c.on("error", (e) => { console.error(e.message); process.exit(1); });
EOF
    fi
    for round in $(seq "$RUNS"); do
        echo "round $round"
        run mqscope-tcp - "$MQSCOPE" bench pub -u "$url_tcp" -c 1 -q 0 -s 64 -t bench/m --count "$COUNT" --no-tui --drain 1
        run mqscope-ws - "$MQSCOPE" bench pub -u "$url_ws" -c 1 -q 0 -s 64 -t bench/m --count "$COUNT" --no-tui --drain 1
        run mqscope-tcp-c4 - "$MQSCOPE" bench pub -u "$url_tcp" -c 4 -q 0 -s 64 -t bench/m%c --count $((COUNT / 4)) --no-tui --drain 1
        run mosquitto_pub-l "$work/lines" mosquitto_pub -h 127.0.0.1 -p "$tcp_port" -t bench/p -q 0 -l
        if [ -n "$MQTTJS" ]; then
            run mqttjs "-" env NODE_PATH="$MQTTJS" node "$work/mqttjs.js" "$url_tcp" "$COUNT"
        fi
    done
    echo
    echo "| generator | delivered msgs/s min | median | CPU s median | broker CPU s median | generator/broker CPU |"
    echo "|---|---|---|---|---|---|"
    for g in $(awk '{ print $1 }' "$work/rate" | awk '!seen[$0]++'); do
        awk -v g="$g" -v n="$COUNT" '$1 == g { r[++k] = n / $2; c[k] = $3; b[k] = $4 }
            function med(a, k,   i, j, t) { for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
                return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
            END { mr = med(r, k); mn = r[1]; mc = med(c, k); mb = med(b, k)
                  printf "| %s | %.0f | %.0f | %.2f | %.2f | %.2fx |\n", g, mn, mr, mc, mb, (mb > 0 ? mc / mb : 0) }' "$work/rate"
    done
fi

if [[ " $PARTS " == *" latency "* ]]; then
    for total in $LAT_RATES; do
        for q in 0 1; do
            echo
            echo "latency: 4 publishers at $((total / 4)) msgs/s each ($total msgs/s), QoS $q, $LAT_SECS s"
            "$MQSCOPE" bench latency -u "$url_tcp" -c 4 --rate $((total / 4)) -q "$q" --warmup 2 \
                --duration "$LAT_SECS" --no-tui >"$work/lat.out" 2>&1 || true
            grep -E "^  (schedule|accounting|latency|received)" "$work/lat.out" || tail -5 "$work/lat.out"
        done
    done
fi

if [[ " $PARTS " == *" conn "* ]]; then
    for u in "$url_tcp" "$url_ws"; do
        echo
        echo "bench conn -c $CONNS on $u"
        "$MQSCOPE" bench conn -u "$u" -c "$CONNS" --rate 2000 --duration 3 >"$work/conn.out" 2>&1 || true
        grep -iE "open|fail|connect|rss|per conn|total" "$work/conn.out" | sed 's/^/  /' | tail -14
    done
fi
