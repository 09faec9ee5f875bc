#!/bin/sh
# Peak RSS of the app against its budget, in a process of its own per flood:
#   plant  1,000,000 messages over 100,000 topics, default budget (the default)
#   big    2,000 payloads of 1 MiB, --memory 64
#   names  8,000 topics with 65 KB names, default budget
# Builds and runs benches/rss.rs in the bench profile. `benches/rss.sh all` runs the three.
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = all ]; then
    for s in plant big names; do cargo bench -q --bench rss -- "$s"; done
else
    exec cargo bench -q --bench rss -- "$@"
fi
