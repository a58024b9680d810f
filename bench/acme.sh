#!/usr/bin/env bash
# Benchmark: full ACME flows per second (account once per client, then order -> authorization ->
# challenge -> finalize -> download) from an in-process concurrent client, signet side by side
# with pebble in the same run, both in "always valid" mode (signet: [acme]
# danger_skip_validation = true and --danger-skip-validation; pebble: PEBBLE_VA_ALWAYS_VALID).
# signet on SQLite and on PostgreSQL; each order's certificate durably stored before it is
# downloadable. Results: bench/results/acme-<date>.tsv and bench/results/acme-latest.md.
# The client is bench/acme-load (Rust, instant-acme, one account per stream, EC P-256 keys, built
# here); CLIENT=python runs the older bench/acme_load.py (python3-acme, one process per stream).
#   N=200 REPS=3 CONC="1 4 16" ./bench/acme.sh
#   ./bench/acme.sh --summarize bench/results/acme-YYYYMMDD.tsv   # only rewrite acme-latest.md
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# The summary (bench/results/acme-latest.md) of a TSV of runs: medians per point over the runs in
# which no order failed (a server that stops answering measures its failure, not its capacity).
summarize() { # tsv md
  python3 - "$1" "$2" <<'PY'
import csv, os, statistics, sys
tsv, md = sys.argv[1:]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
# The newest run only: the day's file keeps every run.
rows = [r for r in rows if r["date"] == max(x["date"] for x in rows)]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
clients = {"rust": "bench/acme-load (Rust, instant-acme 0.8 on tokio, one account per concurrent stream, EC P-256 account and certificate keys)",
           "python": "bench/acme_load.py (python3-acme, one process per concurrent stream, each with its own account)"}
client = clients.get(rows[0].get("client", ""), rows[0].get("client", "?"))
n = max(int(r["orders"]) + int(r["errors"]) for r in rows)
servers = ("pebble", "signet-sqlite", "signet-postgres")
def runs(server, c):
    every = [r for r in rows if r["server"] == server and r["concurrency"] == c]
    clean = [r for r in every if int(r["errors"]) == 0]
    return (clean or every), len(every) - len(clean), not clean, len(every)
def med(server, c, key):
    vals = [float(r[key]) for r in runs(server, c)[0] if r[key] not in ("", "None")]
    return statistics.median(vals) if vals else float("nan")
conc = sorted({r["concurrency"] for r in rows}, key=int)
out = ["# Full ACME flows per second: signet vs pebble", "",
       f"Measured {rows[0]['date']} on {os.cpu_count()} cores ({cpu}), loopback, the client on the same machine.",
       f"Client: {client}.",
       f"Both servers in always-valid mode. {len({r['run'] for r in rows})} runs per point of {n} orders; medians over the runs",
       "in which no order failed. A flow: new order, authorization, challenge, order poll, finalize, download.",
       "signet stores each certificate durably (fsync or PostgreSQL commit) before answering.", "",
       "| concurrent orders | pebble certs/s | signet SQLite certs/s | ratio | signet PostgreSQL certs/s | ratio | p99 ms pebble / SQLite / PG | server CPU ms/cert pebble / SQLite / PG | client CPU ms/cert pebble / SQLite / PG |",
       "|---:|---:|---:|---:|---:|---:|---|---|---|"]
left_out = []
for c in conc:
    pb, sq, pg = (med(s, c, "certs_per_s") for s in servers)
    p99 = " / ".join("%.0f" % med(s, c, "p99_ms") for s in servers)
    cpu_ms = " / ".join("%.1f" % med(s, c, "server_cpu_ms_per_cert") for s in servers)
    cpu_ms += " (+%.1f PostgreSQL)" % med("signet-postgres", c, "postgres_cpu_ms_per_cert")
    ccpu = " / ".join("%.1f" % med(s, c, "client_cpu_ms_per_cert") for s in servers)
    mark = {s: ("†" if runs(s, c)[2] else "") for s in servers}
    out.append(f"| {c} | {pb:,.1f}{mark['pebble']} | {sq:,.1f}{mark['signet-sqlite']} | {sq/pb:.1f}x | {pg:,.1f}{mark['signet-postgres']} | {pg/pb:.1f}x | {p99} | {cpu_ms} | {ccpu} |")
    left_out += [f"{s} {runs(s, c)[1]} of {runs(s, c)[3]} at {c}" for s in servers if runs(s, c)[1]]
failed = ", ".join(f"{s} {sum(int(r['errors']) for r in rows if r['server'] == s)}" for s in servers)
out += ["", f"Orders that failed: {failed}. Runs left out of the medians for failed orders: {', '.join(left_out) or 'none'}"
        + (" († every run of that point had failures: the median is over all of them)." if any("†" in l for l in out) else "."),
        "Server CPU is the server process's own; the PostgreSQL figure in brackets is the database server's CPU",
        "for signet's PostgreSQL runs, on the same cores."]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
}
if [ "${1:-}" = --summarize ]; then summarize "$2" "$ROOT/bench/results/acme-latest.md"; exit; fi

N=${N:-200}; REPS=${REPS:-3}; CONC=${CONC:-"1 4 16"}; CLIENT=${CLIENT:-rust}
PEERS=${PEERS:-}
for candidate in "$ROOT/../shared/peers" /work/shared/peers; do
  [ -z "$PEERS" ] && [ -f "$candidate/10_pebble_start.sh" ] && PEERS=$(cd "$candidate" && pwd)
done
[ -n "$PEERS" ] || { echo "the shared peer scripts (10_pebble_start.sh) are not found; set PEERS=DIR" >&2; exit 3; }
case $CLIENT in rust|python) ;; *) echo "CLIENT must be rust or python, not $CLIENT" >&2; exit 2 ;; esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v pebble >/dev/null || need+=(pebble)
[ "$CLIENT" = rust ] || /usr/bin/python3 -c 'import acme' 2>/dev/null || need+=(python3-acme)
[ ${#need[@]} -eq 0 ] || { as_root apt-get update -q; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }
cargo build --release --locked -q -p signet-cli
SIGNET=$ROOT/target/release/signet
if [ "$CLIENT" = rust ]; then
  cargo build --release --locked -q --manifest-path "$ROOT/bench/acme-load/Cargo.toml"
  LOADGEN=("${CARGO_TARGET_DIR:-$ROOT/bench/acme-load/target}/release/acme-load")
  CLIENT_NAME="bench/acme-load (Rust, instant-acme 0.8 on tokio, one account per concurrent stream, EC P-256 account and certificate keys)"
else
  LOADGEN=(/usr/bin/python3 "$ROOT/bench/acme_load.py" --peers "$PEERS")
  CLIENT_NAME="bench/acme_load.py (python3-acme, one process per concurrent stream, each with its own account)"
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  WORK="$WORK/peers" bash "$PEERS/19_pebble_stop.sh" >/dev/null 2>&1 || true
  "$ROOT/scripts/postgres.sh" stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "stopped: line $LINENO: $BASH_COMMAND exited $?"' ERR
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wait_port() { for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; log "port $1 never opened"; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# CPU of the PostgreSQL server: the postmaster, its live processes and those it has reaped
# (cutime), so a difference covers what it did for signet and anything else using it.
pg_cpu_s() {
  local pm; pm=$(head -1 "${SIGNET_PG_DIR:-${TMPDIR:-/tmp}/signet-test-pg-${SIGNET_PG_PORT:-54329}}/data/postmaster.pid")
  # A backend may end between pgrep and cat: what it did is then in the postmaster's cutime.
  { cat "/proc/$pm/stat" $(pgrep -P "$pm" | sed 's#.*#/proc/&/stat#') 2>/dev/null || true; } \
    | awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t / hz }'
}

# --- pebble, always valid -------------------------------------------------------------------
WORK="$WORK/peers" VALIDATION=always bash "$PEERS/10_pebble_start.sh" >&2
PEBBLE_PID=$(cat "$WORK/peers/pebble.pid")
PEBBLE_CA=$WORK/peers/localtls/ca.pem

# --- signet: SQLite and PostgreSQL, validation skipped ------------------------------------
start_signet() { # name port [database-url]
  local name=$1 port=$2 url=${3:-}
  local args=(serve --data "$WORK/$name" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 1000))")
  [ -n "$url" ] && args+=(--database-url "$url")
  "$SIGNET" "${args[@]}" >"$WORK/$name.first.log" 2>&1 & local pid=$!
  wait_port "$port"; kill "$pid"; wait "$pid" 2>/dev/null || true
  # Appended to the [acme] table, the last of the file; the per-account rate limit would refuse
  # the orders of a run at one concurrent order.
  printf 'danger_skip_validation = true\n' >>"$WORK/$name/signet.toml"
  sed -i 's/^orders_per_account_per_hour = .*/orders_per_account_per_hour = 1000000/' "$WORK/$name/signet.toml"
  "$SIGNET" "${args[@]}" --danger-skip-validation >"$WORK/$name.log" 2>&1 &
  echo $! >"$WORK/$name.pid"; PIDS+=("$(cat "$WORK/$name.pid")")
  wait_port "$port"
}
start_signet signet-sqlite 9443
eval "$("$ROOT/scripts/postgres.sh" start)"
PG_DB="signet_acme_bench_$$"
psql "$SIGNET_TEST_POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB"
start_signet signet-postgres 9444 "${SIGNET_TEST_POSTGRES_URL%/*}/$PG_DB"
declare -A DIR=([pebble]=https://127.0.0.1:14000/dir [signet-sqlite]=https://127.0.0.1:9443/acme/directory [signet-postgres]=https://127.0.0.1:9444/acme/directory)
declare -A CA=([pebble]=$PEBBLE_CA [signet-sqlite]=$WORK/signet-sqlite/roots.pem [signet-postgres]=$WORK/signet-postgres/roots.pem)
declare -A PID=([pebble]=$PEBBLE_PID [signet-sqlite]=$(cat "$WORK/signet-sqlite.pid") [signet-postgres]=$(cat "$WORK/signet-postgres.pid"))

# Restarts pebble, again if it does not answer (the old one may still hold its port).
restart_pebble() {
  local attempt
  for attempt in 1 2 3; do
    if WORK="$WORK/peers" VALIDATION=always bash "$PEERS/10_pebble_start.sh" >"$WORK/pebble-start.log" 2>&1 \
      && curl -sf --cacert "$PEBBLE_CA" https://127.0.0.1:14000/dir >/dev/null; then
      PID[pebble]=$(cat "$WORK/peers/pebble.pid")
      return 0
    fi
    log "pebble did not start (attempt $attempt): $(tail -1 "$WORK/pebble-start.log")"
    sleep 1
  done
  return 1
}

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tsv=$ROOT/bench/results/acme-$(date -u +%Y%m%d).tsv
[ -s "$tsv" ] || printf 'date\tserver\tconcurrency\trun\torders\terrors\tseconds\tcerts_per_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tserver_cpu_ms_per_cert\tclient_cpu_ms_per_cert\tclient\tpostgres_cpu_ms_per_cert\n' >"$tsv"
for c in $CONC; do
  for r in $(seq "$REPS"); do
    for s in pebble signet-sqlite signet-postgres; do
      if [ "$s" = pebble ]; then
        # A fresh pebble for each run: under load it sometimes stops answering (no order of its
        # is stored anyway), and one stuck run must not sink the next.
        restart_pebble || { log "pebble would not start; run $r at $c left out"; continue; }
      fi
      c0=$(cpu_s "${PID[$s]}"); d0=$(pg_cpu_s)
      j=$("${LOADGEN[@]}" --dir "${DIR[$s]}" --ca "${CA[$s]}" -n "$N" -c "$c") \
        || { log "$s: the load generator failed; run $r at $c left out"; continue; }
      c1=$(cpu_s "${PID[$s]}"); d1=$(pg_cpu_s)
      python3 - "$stamp" "$s" "$c" "$r" "$j" "$c0" "$c1" "$CLIENT" "$d0" "$d1" >>"$tsv" <<'PY'
import json, sys
stamp, server, c, r, j, c0, c1, client, d0, d1 = sys.argv[1:]
db = "%.2f" % ((float(d1) - float(d0)) * 1000 / max(1, json.loads(j)["orders_ok"])) if server == "signet-postgres" else ""
j = json.loads(j)
cpu = (float(c1) - float(c0)) * 1000 / max(1, j["orders_ok"])
print("\t".join(map(str, [stamp, server, c, r, j["orders_ok"], j["errors"], j["seconds"], j["certs_per_s"],
                          j["p50_ms"], j["p90_ms"], j["p99_ms"], j["max_ms"], "%.2f" % cpu,
                          j.get("client_cpu_ms_per_cert", ""), client, db])))
PY
      tail -1 "$tsv" >&2
    done
  done
done

summarize "$tsv" "$ROOT/bench/results/acme-latest.md"
