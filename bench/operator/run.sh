#!/usr/bin/env bash
# `make bench` entry: the operator benchmarks on the project's pinned Node (starts its own test
# control plane; the first run on a machine builds it).
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node_modules/.bin/node bench/operator/run.ts "$@"
