#!/bin/sh
# Peak RSS of the app after 1,000,000 messages over 100,000 topics with the default budget.
# Builds and runs benches/rss.rs in the bench profile, in a process of its own.
set -eu
cd "$(dirname "$0")/.."
exec cargo bench --bench rss "$@"
