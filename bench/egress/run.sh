#!/usr/bin/env bash
# Entry for `make bench`: the egress benchmark on the project's pinned Node.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec "$here/../../node_modules/.bin/node" "$here/run.ts" "$@"
