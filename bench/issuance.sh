#!/usr/bin/env bash
# Benchmark: certificate issuance over HTTP(S) with durable storage, signet against cfssl run
# side by side in the same run on loopback.
#   signet: `signet serve` over HTTPS (TLS 1.3, keep-alive connections as wrk holds them), an
#           auto-approving server profile on the ECDSA P-256 issuing CA, SQLite (WAL, fsync on
#           every commit that answers a client) and PostgreSQL.
#   cfssl:  `cfssl serve` (Debian golang-cfssl) with an ECDSA P-256 CA, signing into SQLite
#           (-db-config), the reference setup of ../shared/peers.
# Load: wrk POSTing one P-256 CSR per request at 1, 4 and 16 connections, DUR seconds each, REPS
# runs per point, alternating the two servers. Results: bench/results/issuance-<date>.tsv and
# bench/results/issuance-latest.md (medians, ratios, p99, server CPU per request).
#   DUR=5 REPS=3 CONC="1 4 16" ./bench/issuance.sh
# Before/after: BASELINE=/path/to/an/older/signet adds that binary's servers to the same run
# (alternating with the others), and the table gains its figures and the ratio of this build to
# it, so a change is judged side by side rather than against figures from another day. A
# baseline from before HTTPS is driven over plain HTTP (it has no --http-listen), which measures
# what TLS in front costs.
#   git worktree add /tmp/base <commit> && (cd /tmp/base && cargo build --release -p signet-cli)
#   BASELINE=/tmp/base/target/release/signet ./bench/issuance.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DUR=${DUR:-5}; REPS=${REPS:-3}; CONC=${CONC:-"1 4 16"}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v cfssl >/dev/null || need+=(golang-cfssl)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ ${#need[@]} -eq 0 ] || { as_root apt-get update -q; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }
cargo build --release --locked -q -p signet-cli
SIGNET=$ROOT/target/release/signet
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; "$ROOT/scripts/postgres.sh" stop; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; log "port $1 never opened"; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }

# --- the request: one P-256 CSR, used by both servers ---------------------------------------
cd "$WORK"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=leaf.example.com" -addext "subjectAltName=DNS:leaf.example.com" 2>/dev/null

# --- cfssl: ECDSA P-256 CA signing into SQLite -----------------------------------------------
mkdir cfssl && cd cfssl
echo '{"CN":"bench cfssl CA","key":{"algo":"ecdsa","size":256},"names":[{"O":"bench"}]}' >ca-csr.json
cfssl gencert -loglevel 5 -initca ca-csr.json 2>/dev/null | cfssljson -bare ca
cat >config.json <<'JSON'
{"signing":{"default":{"expiry":"2160h","usages":["digital signature","server auth"]},
 "profiles":{"www":{"expiry":"2160h","usages":["digital signature","server auth"]}}}}
JSON
sqlite3 certdb.sqlite "CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  ca_label blob, status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
  CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier));"
echo "{\"driver\":\"sqlite3\",\"data_source\":\"$WORK/cfssl/certdb.sqlite\"}" >db.json
python3 -c "import json,sys; print(json.dumps({'certificate_request': open(sys.argv[1]).read(), 'profile': 'www', 'hosts': ['leaf.example.com']}))" ../leaf.csr >../cfssl-body.json
cfssl serve -loglevel 5 -address 127.0.0.1 -port 8888 -ca ca.pem -ca-key ca-key.pem -config config.json -db-config db.json >../cfssl.log 2>&1 &
CFSSL_PID=$!; PIDS+=("$CFSSL_PID")
cd "$WORK"

# --- signet: SQLite and PostgreSQL, an auto-approving profile on the P-256 issuing CA --------
declare -A SCHEME
start_signet() { # name port [database-url] [binary]
  local name=$1 port=$2 url=${3:-} bin=${4:-$SIGNET}
  local args=(serve --data "$WORK/$name" --listen "127.0.0.1:$port")
  SCHEME[$name]=http
  if "$bin" serve --help | grep -q -- --http-listen; then   # HTTPS, with its plain listener beside
    args+=(--http-listen "127.0.0.1:$((port + 1000))"); SCHEME[$name]=https
  fi
  [ -n "$url" ] && args+=(--database-url "$url")
  "$bin" "${args[@]}" >"$WORK/$name.first.log" 2>&1 & local pid=$!
  wait_port "$port"; kill "$pid"; wait "$pid" 2>/dev/null || true
  cat >>"$WORK/$name/signet.toml" <<'TOML'

[profiles.bench]
issuer = "dev-issuing"
kind = "server"
approval = "auto"
TOML
  "$bin" "${args[@]}" >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"; PIDS+=("$(cat "$WORK/$name.pid")")
  wait_port "$port"
}
python3 -c "import json,sys; print(json.dumps({'profile': 'bench', 'csr': open(sys.argv[1]).read()}))" leaf.csr >signet-body.json
start_signet signet-sqlite 8443
eval "$("$ROOT/scripts/postgres.sh" start)"
PG_DB="signet_bench_$$"
psql "$SIGNET_TEST_POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB"
start_signet signet-postgres 8444 "${SIGNET_TEST_POSTGRES_URL%/*}/$PG_DB"
SERVERS=(signet-sqlite signet-postgres)
if [ -n "${BASELINE:-}" ]; then
  start_signet baseline-sqlite 8445 "" "$BASELINE"
  psql "$SIGNET_TEST_POSTGRES_URL" -q -c "CREATE DATABASE ${PG_DB}_base"
  start_signet baseline-postgres 8446 "${SIGNET_TEST_POSTGRES_URL%/*}/${PG_DB}_base" "$BASELINE"
  SERVERS+=(baseline-sqlite baseline-postgres)
fi
declare -A PORT=([signet-sqlite]=8443 [signet-postgres]=8444 [baseline-sqlite]=8445 [baseline-postgres]=8446)
wait_port 8888

# Sanity: each server issues a certificate that openssl can read.
curl_issue() { python3 - "$@" <<'PY'
import json, ssl, sys, urllib.request
url, body, token = sys.argv[1], open(sys.argv[2], 'rb').read(), sys.argv[3]
roots = sys.argv[4] if len(sys.argv) > 4 else None
context = ssl.create_default_context(cafile=roots) if roots else None
req = urllib.request.Request(url, data=body, headers={'Content-Type': 'application/json', **({'Authorization': 'Bearer ' + token} if token else {})})
print(urllib.request.urlopen(req, context=context).status)
PY
}
declare -A TOKENS
for s in "${SERVERS[@]}"; do
  TOKENS[$s]=$(tr -d '\n' <"$WORK/$s/admin.token")
  roots=""; [ "${SCHEME[$s]}" = https ] && roots="$WORK/$s/roots.pem"
  curl_issue "${SCHEME[$s]}://127.0.0.1:${PORT[$s]}/api/v1/requests" signet-body.json "${TOKENS[$s]}" $roots >/dev/null
done
curl_issue http://127.0.0.1:8888/api/v1/cfssl/sign cfssl-body.json "" >/dev/null

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tsv=$ROOT/bench/results/issuance-$(date -u +%Y%m%d).tsv
printf 'date\tserver\tconnections\trun\trequests\trps\tbad\tp50_ms\tp99_ms\tserver_cpu_ms_per_req\n' >"$tsv"
point() { # server-name port pid body token ok-status expect connections run
  local name=$1 port=$2 pid=$3 body=$4 token=$5 ok=$6 expect=$7 c=$8 run=$9 t res c0 c1 scheme=${SCHEME[$1]:-http}
  t=$(( c < 2 ? 1 : 2 ))
  local path=/api/v1/requests; [ "$name" = cfssl ] && path=/api/v1/cfssl/sign
  c0=$(cpu_s "$pid")
  res=$(BODY_FILE="$body" TOKEN="$token" OK_STATUS="$ok" EXPECT="$expect" wrk -t"$t" -c"$c" -d"${DUR}s" -s "$ROOT/bench/wrk_post.lua" "$scheme://127.0.0.1:$port$path" | grep '^RESULT')
  c1=$(cpu_s "$pid")
  python3 - "$stamp" "$name" "$c" "$run" "$res" "$c0" "$c1" >>"$tsv" <<'PY'
import sys
stamp, name, c, run, res, c0, c1 = sys.argv[1:]
kv = dict(x.split("=") for x in res.split()[1:])
cpu = (float(c1) - float(c0)) * 1000 / max(1, int(kv["requests"]))
print("\t".join([stamp, name, c, run, kv["requests"], kv["rps"], kv["bad"], kv["p50_ms"], kv["p99_ms"], "%.3f" % cpu]))
PY
  tail -1 "$tsv" >&2
}
for c in $CONC; do
  for r in $(seq "$REPS"); do
    point cfssl 8888 "$CFSSL_PID" "$WORK/cfssl-body.json" "" 200 '"success":true' "$c" "$r"
    for s in "${SERVERS[@]}"; do
      point "$s" "${PORT[$s]}" "$(cat "$WORK/$s.pid")" "$WORK/signet-body.json" "${TOKENS[$s]}" 201 '"state":"issued"' "$c" "$r"
    done
  done
done
log "cfssl stored $(sqlite3 cfssl/certdb.sqlite 'select count(*) from certificates') certificates"

python3 - "$tsv" "$ROOT/bench/results/issuance-latest.md" <<'PY'
import csv, statistics, sys, os, subprocess
tsv, md = sys.argv[1:]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
def med(server, c, key):
    vals = [float(r[key]) for r in rows if r["server"] == server and r["connections"] == c]
    return statistics.median(vals) if vals else float("nan")
conns = sorted({r["connections"] for r in rows}, key=int)
out = ["# Issuance with durable storage: signet (HTTPS) vs cfssl (HTTP)", "",
       f"Measured {rows[0]['date']} on {os.cpu_count()} cores ({cpu}), loopback, wrk on the same machine;",
       "medians of the runs at each point. Ratio = signet req/s / cfssl req/s (cfssl signing into SQLite).",
       "Every signet request: CSR verified, key and names checked, TBS linted and recorded, signed, stored",
       "with its audit entries, fsync'd before the answer.", "",
       "| connections | cfssl+SQLite req/s | signet SQLite req/s | ratio | signet PostgreSQL req/s | ratio | p99 ms cfssl / signet SQLite / signet PG | CPU ms/req cfssl / SQLite / PG |",
       "|---:|---:|---:|---:|---:|---:|---|---|"]
for c in conns:
    cf, sq, pg = (med(s, c, "rps") for s in ("cfssl", "signet-sqlite", "signet-postgres"))
    p99 = "/".join("%.1f" % med(s, c, "p99_ms") for s in ("cfssl", "signet-sqlite", "signet-postgres"))
    cpu_ms = "/".join("%.2f" % med(s, c, "server_cpu_ms_per_req") for s in ("cfssl", "signet-sqlite", "signet-postgres"))
    out.append(f"| {c} | {cf:,.0f} | {sq:,.0f} | {sq/cf:.1f}x | {pg:,.0f} | {pg/cf:.1f}x | {p99} | {cpu_ms} |")
if any(r["server"].startswith("baseline") for r in rows):
    out += ["", "Before and after, side by side in this run (BASELINE = " + os.environ.get("BASELINE", "?") + ";",
            "a baseline from before HTTPS is driven over plain HTTP):", "",
            "| connections | SQLite before | SQLite now | now/before | PostgreSQL before | PostgreSQL now | now/before |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for c in conns:
        bs, ns, bp, np_ = (med(s, c, "rps") for s in ("baseline-sqlite", "signet-sqlite", "baseline-postgres", "signet-postgres"))
        out.append(f"| {c} | {bs:,.0f} | {ns:,.0f} | {ns/bs:.2f} | {bp:,.0f} | {np_:,.0f} | {np_/bp:.2f} |")
bad = sum(int(r["bad"]) for r in rows)
out += ["", f"Responses that were not a successful issuance: {bad}."]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
