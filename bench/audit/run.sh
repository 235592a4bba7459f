#!/usr/bin/env bash
# Audit log benchmark on the project's pinned Node (see run.ts for options).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/node_modules/.bin/node" "$root/bench/audit/run.ts" "$@"
