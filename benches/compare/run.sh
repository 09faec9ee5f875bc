#!/usr/bin/env bash
# Runs the mqscope-vs-rumqttc comparison RUNS times (default 3) and prints, per benchmark, the
# minimum and median of criterion's middle throughput estimate, plus the mqscope/rumqttc ratio.
# The machine is small and noisy: compare medians, and look at the spread.
#   benches/compare/run.sh [RUNS] [criterion filter]
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-3}"
filter="${2:-}"
out="target/compare-runs"
rm -rf "$out" && mkdir -p "$out"
for n in $(seq 1 "$runs"); do
    echo "run $n/$runs" >&2
    cargo bench --bench compare -- $filter > "$out/run-$n.txt" 2>/dev/null
done
python3 - "$out" <<'PY'
import glob, re, statistics, sys
scale = {"elem/s": 1, "Kelem/s": 1e3, "Melem/s": 1e6, "Gelem/s": 1e9,
         "B/s": 1, "KiB/s": 1024, "MiB/s": 1024**2, "GiB/s": 1024**3}
results = {}
for path in sorted(glob.glob(sys.argv[1] + "/run-*.txt")):
    name = None
    for line in open(path):
        if line and not line[0].isspace() and "/" in line:
            name = line.split()[0]
        m = re.search(r"thrpt:\s+\[\S+ \S+ (\S+) (\S+) ", line)
        if m and name:
            results.setdefault(name, []).append(float(m.group(1)) * scale[m.group(2)])
            name = None
def fmt(v, name):
    return f"{v / 1e6:10.3f} M/s " if "/packets/" in name else f"{v / 1024**2:10.1f} MiB/s"
print(f"{'benchmark':60} {'min':>14} {'median':>14}  runs")
for name, vals in results.items():
    print(f"{name:60} {fmt(min(vals), name)} {fmt(statistics.median(vals), name)}  {len(vals)}")
print()
print(f"{'mqscope / rumqttc (median, and min over min)':60}")
for name, vals in results.items():
    if name.endswith("/mqscope"):
        other = results.get(name[: -len("mqscope")] + "rumqttc")
        if other:
            r_med = statistics.median(vals) / statistics.median(other)
            r_min = min(vals) / min(other)
            print(f"{name[: -len('/mqscope')]:60} {r_med:8.2f}x {r_min:8.2f}x")
PY
