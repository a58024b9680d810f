#!/usr/bin/env bash
# Correctness benchmark: every x509-limbo case (tests/limbo/limbo.json) through `signet verify` and
# `openssl verify` side by side, each tool run as a user would run it (one process per case, files
# on disk). Writes bench/results/limbo.tsv (expected result, each tool's result and reason) and the
# summary table in docs/VALIDATION.md between its limbo-table markers.
#   ./bench/limbo.sh                 # builds the debug binary (results do not depend on speed)
#   SIGNET=target/release/signet ./bench/limbo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SIGNET:-}" ]; then
  cargo build --locked -q -p signet-cli
  SIGNET=$PWD/target/debug/signet
fi
command -v openssl >/dev/null || { echo "openssl is needed: apt-get install openssl" >&2; exit 3; }
exec python3 bench/limbo.py --signet "$SIGNET" --suite tests/limbo/limbo.json \
  --tsv bench/results/limbo.tsv --doc docs/VALIDATION.md
