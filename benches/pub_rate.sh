#!/usr/bin/env bash
# Publisher throughput: `mqscope pub -l` of 100,000 lines at QoS 1 over MQTT 3.1.1 and 5.0, TCP and
# WebSocket, side by side with `mosquitto_pub -l` (3.1.1 and 5.0, TCP) at the same QoS, against one
# mosquitto (own config, free ports, no queue limits, no subscribers). Each program's time runs from its
# start to its exit (connect, every message acknowledged, disconnect). Programs alternate within each
# round, the order rotating; reports min and median seconds and messages/s.
#
#   benches/pub_rate.sh                      # 5 rounds, 100,000 lines, QoS 1
#   RUNS=3 MESSAGES=20000 QOS=2 benches/pub_rate.sh
#   MQSCOPE=path/to/mqscope benches/pub_rate.sh   # skip the release build
#
# Needs: mosquitto, mosquitto_pub, python3. Both clients keep 20 messages in flight (mosquitto_pub's
# default and mqscope's --max-inflight default); the broker announces no receive maximum.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-5}
MESSAGES=${MESSAGES:-100000}
QOS=${QOS:-1}
LIMIT=${LIMIT:-300}

bench_init pub_rate
bench_need mosquitto mosquitto_pub python3
bench_mqscope
bench_broker ws
seq 1 "$MESSAGES" >"$work/lines"

# run NAME ROUND COMMAND...: runs the publisher with the lines on stdin; appends "NAME seconds".
run() {
    local name=$1 round=$2
    shift 2
    local t0 t1
    t0=$(bench_now)
    if ! timeout "$LIMIT" "$@" <"$work/lines" >/dev/null 2>"$work/err-$name-$round"; then
        cat "$work/err-$name-$round" >&2
        bench_fail "$name failed or timed out (round $round)"
    fi
    t1=$(bench_now)
    local secs
    secs=$(python3 -c "print(f'{$t1 - $t0:.3f}')")
    echo "$name $secs" >>"$work/results"
    printf '  round %d %-22s %7.3f s  %9.0f msgs/s\n' "$round" "$name" "$secs" "$(python3 -c "print($MESSAGES / $secs)")"
}

names=("mqscope-3.1.1-tcp" "mqscope-5-tcp" "mqscope-3.1.1-ws" "mqscope-5-ws" "mosquitto_pub-3.1.1-tcp" "mosquitto_pub-5-tcp")
echo "mqscope: $MQSCOPE"
echo "broker:  $broker_version on tcp $tcp_port, ws $ws_port"
echo "load:    $MESSAGES lines at QoS $QOS, one topic; $RUNS rounds"
for round in $(seq "$RUNS"); do
    shift_by=$(( (round - 1) % ${#names[@]} ))
    order=("${names[@]:$shift_by}" "${names[@]:0:$shift_by}")
    for name in "${order[@]}"; do
        topic="bench/pub/$name"
        case $name in
            mqscope-3.1.1-tcp) run "$name" "$round" "$MQSCOPE" pub -u "mqtt://127.0.0.1:$tcp_port" --mqtt 3.1.1 -t "$topic" -q "$QOS" -l ;;
            mqscope-5-tcp) run "$name" "$round" "$MQSCOPE" pub -u "mqtt://127.0.0.1:$tcp_port" --mqtt 5 -t "$topic" -q "$QOS" -l ;;
            mqscope-3.1.1-ws) run "$name" "$round" "$MQSCOPE" pub -u "ws://127.0.0.1:$ws_port/mqtt" --mqtt 3.1.1 -t "$topic" -q "$QOS" -l ;;
            mqscope-5-ws) run "$name" "$round" "$MQSCOPE" pub -u "ws://127.0.0.1:$ws_port/mqtt" --mqtt 5 -t "$topic" -q "$QOS" -l ;;
            mosquitto_pub-3.1.1-tcp) run "$name" "$round" mosquitto_pub -h 127.0.0.1 -p "$tcp_port" -V mqttv311 -t "$topic" -q "$QOS" -l ;;
            mosquitto_pub-5-tcp) run "$name" "$round" mosquitto_pub -h 127.0.0.1 -p "$tcp_port" -V mqttv5 -t "$topic" -q "$QOS" -l ;;
        esac
    done
done

echo
python3 - "$work/results" "$MESSAGES" "${names[@]}" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, secs = line.split()
    rows.setdefault(name, []).append(float(secs))
n = int(sys.argv[2])
print("| program / version / transport | runs | min s | median s | msgs/s (median) | msgs/s (best) |")
print("|---|---|---|---|---|---|")
for name in sys.argv[3:]:
    secs = rows.get(name)
    if not secs:
        continue
    lo, med = min(secs), statistics.median(secs)
    print(f"| {name} | {len(secs)} | {lo:.3f} | {med:.3f} | {n / med:,.0f} | {n / lo:,.0f} |")
EOF
