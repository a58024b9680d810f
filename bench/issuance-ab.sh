#!/usr/bin/env bash
# A/B: has issuance slowed? The signet part of bench/issuance.sh (an auto-approving server
# profile on the P-256 issuing CA, wrk POSTing one CSR over HTTPS at 1, 4 and 16 connections, SQLite with
# fsync before every answer, and PostgreSQL), run for two binaries side by side in the same run,
# alternating: A (BASELINE, e.g. built from main) and B (this tree). The machine is shared, so
# only the ratio B/A within one run means anything. Each binary starts on a fresh data directory
# with its own default configuration (B's publishes CRLs and signs OCSP responses as it issues).
# PAUSE seconds of idle follow each run, as traffic has lulls: B signs the OCSP responses of what
# it issued then (it defers them while busy issuing), so they do not land in A's next run.
# Results: bench/results/issuance-ab-<date>.tsv and bench/results/issuance-ab-latest.md.
#   BASELINE=/tmp/signet-main DUR=5 REPS=3 CONC="1 4 16" PAUSE=3 ./bench/issuance-ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${DUR:-5}; REPS=${REPS:-3}; CONC=${CONC:-"1 4 16"}; PAUSE=${PAUSE:-3}
: "${BASELINE:?set BASELINE to the signet binary to compare with (e.g. built from main)}"
cargo build --release --locked -q -p signet-cli
B=$ROOT/target/release/signet
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; "$ROOT/scripts/postgres.sh" stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; log "port $1 never opened"; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

cd "$WORK"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=leaf.example.com" -addext "subjectAltName=DNS:leaf.example.com" 2>/dev/null
python3 -c "import json,sys; print(json.dumps({'profile': 'bench', 'csr': open(sys.argv[1]).read()}))" leaf.csr >body.json
start() { # name binary port [database-url]
  local name=$1 bin=$2 port=$3 url=${4:-}
  # The plain-HTTP listener (CRLs, OCSP) on a port of its own, not the default 8080 another
  # server on the machine may hold.
  local args=(serve --data "$WORK/$name" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1000))")
  [ -n "$url" ] && args+=(--database-url "$url")
  "$bin" "${args[@]}" >"$WORK/$name.first.log" 2>&1 & local pid=$!
  wait_port "$port"; kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '\n[profiles.bench]\nissuer = "dev-issuing"\nkind = "server"\napproval = "auto"\n' >>"$WORK/$name/signet.toml"
  "$bin" "${args[@]}" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"; PIDS+=("$(cat "$WORK/$name.pid")")
  wait_port "$port"
}
eval "$("$ROOT/scripts/postgres.sh" start)"
for db in a b; do psql "$SIGNET_TEST_POSTGRES_URL" -q -c "CREATE DATABASE signet_ab_${db}_$$"; done
start a-sqlite "$BASELINE" 8601
start b-sqlite "$B" 8602
start a-postgres "$BASELINE" 8603 "${SIGNET_TEST_POSTGRES_URL%/*}/signet_ab_a_$$"
start b-postgres "$B" 8604 "${SIGNET_TEST_POSTGRES_URL%/*}/signet_ab_b_$$"

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tsv=$ROOT/bench/results/issuance-ab-$(date -u +%Y%m%d).tsv
# The day's file keeps every run; the summary is of the newest.
[ -s "$tsv" ] || printf 'date\tserver\tconnections\trun\trequests\trps\tbad\tp50_ms\tp99_ms\tserver_cpu_ms_per_req\n' >"$tsv"
point() { # name port connections run
  local name=$1 port=$2 c=$3 run=$4 pid t res c0 c1 token
  pid=$(cat "$WORK/$name.pid"); token=$(tr -d '\n' <"$WORK/$name/admin.token")
  t=$(( c < 2 ? 1 : 2 ))
  c0=$(cpu_s "$pid")
  res=$(BODY_FILE="$WORK/body.json" TOKEN="$token" OK_STATUS=201 EXPECT='"state":"issued"' \
    wrk -t"$t" -c"$c" -d"${DUR}s" -s "$ROOT/bench/wrk_post.lua" "https://127.0.0.1:$port/api/v1/requests" | grep '^RESULT')
  c1=$(cpu_s "$pid")
  python3 - "$stamp" "$name" "$c" "$run" "$res" "$c0" "$c1" >>"$tsv" <<'PY'
import sys
stamp, name, c, run, res, c0, c1 = sys.argv[1:]
kv = dict(x.split("=") for x in res.split()[1:])
cpu = (float(c1) - float(c0)) * 1000 / max(1, int(kv["requests"]))
print("\t".join([stamp, name, c, run, kv["requests"], kv["rps"], kv["bad"], kv["p50_ms"], kv["p99_ms"], "%.3f" % cpu]))
PY
  tail -1 "$tsv" >&2
  sleep "$PAUSE"
}
for c in $CONC; do
  for r in $(seq "$REPS"); do
    point a-sqlite 8601 "$c" "$r"; point b-sqlite 8602 "$c" "$r"
    point a-postgres 8603 "$c" "$r"; point b-postgres 8604 "$c" "$r"
  done
done
python3 - "$tsv" "$ROOT/bench/results/issuance-ab-latest.md" "$BASELINE" <<'PY'
import csv, os, statistics, sys
tsv, md, baseline = sys.argv[1:]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
rows = [r for r in rows if r["date"] == max(x["date"] for x in rows)]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
med = lambda s, c, k: statistics.median(float(r[k]) for r in rows if r["server"] == s and r["connections"] == c)
out = ["# Issuance A/B: a baseline build and this tree, side by side", "",
       f"Measured {rows[0]['date']} on {os.cpu_count()} cores ({cpu}), shared; A = {baseline}, B = this tree;",
       "alternating runs with idle pauses between them, medians. B publishes CRLs and pre-signs OCSP",
       "responses for what it issues (deferred while it is busy issuing, done in the pauses).", "",
       "| connections | A SQLite req/s | B SQLite req/s | B/A | A PostgreSQL req/s | B PostgreSQL req/s | B/A | CPU ms/req A/B SQLite | A/B PG |",
       "|---:|---:|---:|---:|---:|---:|---:|---|---|"]
for c in sorted({r["connections"] for r in rows}, key=int):
    a, b, pa, pb = (med(s, c, "rps") for s in ("a-sqlite", "b-sqlite", "a-postgres", "b-postgres"))
    ca, cb, cpa, cpb = (med(s, c, "server_cpu_ms_per_req") for s in ("a-sqlite", "b-sqlite", "a-postgres", "b-postgres"))
    out.append(f"| {c} | {a:,.0f} | {b:,.0f} | {b/a:.2f} | {pa:,.0f} | {pb:,.0f} | {pb/pa:.2f} | {ca:.2f}/{cb:.2f} | {cpa:.2f}/{cpb:.2f} |")
bad = sum(int(r["bad"]) for r in rows)
out += ["", f"Responses that were not a successful issuance: {bad}."]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
