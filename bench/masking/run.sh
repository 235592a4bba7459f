#!/usr/bin/env bash
# Masking throughput and memory (see run.ts); `make bench` runs every bench/*/run.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node_modules/.bin/node bench/masking/run.ts "$@"
