#!/usr/bin/env bash
# Benchmark: revocation at scale (issue 12), each signet figure beside its reference, same run.
#  1. CRL generation for 10k, 100k and 1M revoked certificates of an ECDSA P-256 CA (SQLite),
#     one full CRL, then the full CRL plus 16 partitions: `signet crl publish --force` (each
#     CRL's time from its own report: read, build, lint, sign, store; the process's peak RSS),
#     against `openssl ca -gencrl` from an index.txt holding the same entries (P-256 CA).
#  2. Revocation latency over the API, 200 revocations one at a time, on a CA holding 1M revoked
#     certificates and on an empty one (background CRL publishing set to once an hour, so it
#     does not run during the measurement).
#  3. OCSP with 100,000 issued certificates: signet pre-signs their responses (timed), then
#     answers POSTs at 1, 4 and 16 connections; cfssl signs responses for 100,000 certificates
#     of its own P-256 CA (`cfssl ocsprefresh`, timed) and `cfssl ocspserve` answers them. wrk
#     posts one request (a good certificate) for DUR seconds, REPS runs per point, alternating.
# Results: bench/results/revocation-<date>.tsv and bench/results/revocation-latest.md.
#   SIZES="10000 100000 1000000" OCSP_CERTS=100000 DUR=5 REPS=3 CONC="1 4 16" ./bench/revocation.sh
# SIGNET=BINARY measures another build of signet (no build of this tree).
# PARTS="crl revocation ocsp" chooses the parts (all by default); each appends to the day's TSV.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${SIZES:-"10000 100000 1000000"}; OCSP_CERTS=${OCSP_CERTS:-100000}
DUR=${DUR:-5}; REPS=${REPS:-3}; CONC=${CONC:-"1 4 16"}
PY=${PY:-/work/main/.venv-test/bin/python}   # needs `cryptography` (pkilint's venv has it)
PARTS=${PARTS:-"crl revocation ocsp"}
part() { [[ " $PARTS " == *" $1 "* ]]; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v cfssl >/dev/null || need+=(golang-cfssl)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time)
[ ${#need[@]} -eq 0 ] || { as_root apt-get update -q; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"; }
"$PY" -c 'import cryptography' || { echo "PY=$PY lacks the cryptography package" >&2; exit 3; }
# SIGNET=path/to/signet measures that binary (e.g. an older build) instead of building this tree.
if [ -z "${SIGNET:-}" ]; then
  cargo build --release --locked -q -p signet-cli
  SIGNET=$ROOT/target/release/signet
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
wait_port() { for _ in $(seq 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; log "port $1 never opened"; return 1; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tsv=$ROOT/bench/results/revocation-$(date -u +%Y%m%d).tsv
[ -s "$tsv" ] || printf 'date\tpart\tsubject\tsize\tconnections\trun\tvalue\tunit\tdetail\n' >"$tsv"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$stamp" "$@" >>"$tsv"; tail -1 "$tsv" >&2; }

# A fresh signet data directory (first start, then stopped): fresh_ca NAME PORT
fresh_ca() {
  "$SIGNET" serve --data "$WORK/$1" --listen "127.0.0.1:$2" --http-listen "127.0.0.1:$(($2 + 100))" >"$WORK/$1.first.log" 2>&1 & local pid=$!
  wait_port "$2"; kill "$pid"; wait "$pid" 2>/dev/null || true
}
ca_id() { sqlite3 "$WORK/$1/signet.db" "SELECT id FROM cas WHERE name = 'dev-issuing'"; }
# seed NAME COUNT PREFIX BASE REVOKED SHARDS: COUNT issued certificates of dev-issuing, serials
# PREFIX followed by the number (16 octets), request ids from BASE; revoked (1: four reasons,
# revocation times spread over a day) or not (0); in SHARDS partitions (0: none).
seed() {
  local db=$WORK/$1/signet.db ca; ca=$(ca_id "$1")
  sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO requests (id, profile, csr, subject, sans, spki_sha256, requester, state, warnings, retrieval_token_hash, created_at)
SELECT $4 + i, 'bench', x'30', 'CN=bench', '[]', printf('%064x', i), 'bench', 'issued', '[]', printf('%064x', i), 1764000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO certificates (ca_id, serial, request_id, status, tbs, spki_sha256, subject, sans, not_before, not_after, is_test, created_at,
                          crl_shard, revoked_at, revocation_reason, revoked_by, revocation_version)
SELECT $ca, printf('$3%030x', i), $4 + i, 'issued', x'30', printf('%064x', i), 'CN=bench', '[]', 1764000000, 4102444800, 0, 1764000000,
       CASE WHEN $6 > 0 THEN i % $6 END,
       CASE WHEN $5 THEN 1764000000 + (i % 86400) END,
       CASE WHEN $5 THEN CASE i % 4 WHEN 0 THEN 'keyCompromise' WHEN 1 THEN 'superseded' WHEN 2 THEN 'cessationOfOperation' ELSE 'unspecified' END END,
       CASE WHEN $5 THEN 'bench' END,
       CASE WHEN $5 THEN i END
FROM n;
UPDATE cas SET revocation_version = (SELECT COALESCE(MAX(revocation_version), 0) FROM certificates WHERE ca_id = $ca) WHERE id = $ca;
SQL
}
config() { # NAME SED-EXPRESSION
  sed -i "$2" "$WORK/$1/signet.toml"
}

# ---- 1. CRL generation -------------------------------------------------------------------
if part crl; then
mkdir -p "$WORK/openssl" && cd "$WORK/openssl"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 365 \
  -subj "/CN=openssl bench CA" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
cat >ca.cnf <<'CNF'
[ ca ]
default_ca = bench
[ bench ]
database = index.txt
certificate = ca.pem
private_key = ca.key
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
unique_subject = no
[ crl_ext ]
authorityKeyIdentifier = keyid
CNF
cd "$ROOT"
for n in $SIZES; do
  for shards in 0 16; do
    name=crl-$n-$shards
    fresh_ca "$name" 8510
    config "$name" 's/^ocsp_url = .*$//'   # CRLs only
    [ "$shards" -gt 0 ] && config "$name" "s/^# shards = .*$/shards = { dev-issuing = $shards }/"
    seed "$name" "$n" 5a 1000000000 1 "$shards"
    /usr/bin/time -o "$WORK/time.txt" -f '%M' "$SIGNET" crl publish --data "$WORK/$name" --force --json >"$WORK/report.json"
    python3 - "$n" "$shards" "$(cat "$WORK/time.txt")" "$WORK/report.json" "$stamp" >>"$tsv" <<'PY'
import json, sys
n, shards, rss, report, stamp = sys.argv[1:]
report = json.load(open(report))
mine = [p for p in report["published"] if p["ca"] == "dev-issuing"]
full = next(p for p in mine if p["scope"] == "full")
parts = [p for p in mine if p["scope"] != "full"]
print(f"{stamp}\tcrl\tsignet full CRL\t{n}\t-\t1\t{full['seconds']:.3f}\ts\t{full['bytes']} bytes, peak RSS {int(rss)//1024} MB")
if parts:
    total = sum(p["seconds"] for p in parts)
    print(f"{stamp}\tcrl\tsignet {len(parts)} partitions\t{n}\t-\t1\t{total:.3f}\ts\tlargest {max(p['entries'] for p in parts)} entries, {max(p['bytes'] for p in parts)} bytes, process peak RSS {int(rss)//1024} MB")
PY
    tail -2 "$tsv" >&2
  done
  # openssl: the same entries in index.txt
  python3 - "$n" >"$WORK/openssl/index.txt" <<'PY'
import sys
reasons = ["keyCompromise", "superseded", "cessationOfOperation", "unspecified"]
for i in range(1, int(sys.argv[1]) + 1):
    t = 1764000000 + i % 86400
    import time as tm
    stamp = tm.strftime("%y%m%d%H%M%SZ", tm.gmtime(t))
    print(f"R\t991231235959Z\t{stamp},{reasons[i % 4]}\t5A{i:030X}\tunknown\t/CN=bench")
PY
  echo 01 >"$WORK/openssl/crlnumber"
  (cd "$WORK/openssl" && /usr/bin/time -o "$WORK/time.txt" -f '%e %M' openssl ca -gencrl -config ca.cnf -out crl.pem 2>/dev/null)
  read -r secs rss <"$WORK/time.txt"
  row crl "openssl ca -gencrl" "$n" - 1 "$secs" s "$(stat -c %s "$WORK/openssl/crl.pem") bytes PEM, peak RSS $((rss / 1024)) MB"
  rm -rf "$WORK"/crl-"$n"-*
done
fi

# ---- 2. Revocation latency: 1M revoked vs none ---------------------------------------------
revoke_latency() { # NAME PORT
  local name=$1 port=$2
  config "$name" 's/^ocsp_url = .*$//; s/^publish_after_revocation_seconds = .*$/publish_after_revocation_seconds = 3600/'
  seed "$name" 200 6b 3000000000 0 0
  "$SIGNET" token create --data "$WORK/$name" --name manager --role certificate-manager --out "$WORK/$name.token" >/dev/null
  "$SIGNET" serve --data "$WORK/$name" --listen "127.0.0.1:$port" --http-listen "127.0.0.1:$((port + 100))" >"$WORK/$name.log" 2>&1 & local pid=$!; PIDS+=("$pid")
  wait_port "$port"; sleep 5   # the first CRLs
  python3 - "$port" "$(tr -d '\n' <"$WORK/$name.token")" "$WORK/$name/roots.pem" <<'PY'
import http.client, json, ssl, statistics, sys, time
port, token, roots = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# The API over HTTPS (the server's own certificate, from its development CA), one connection.
conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=roots))
times = []
for i in range(1, 201):
    body = json.dumps({"reason": "superseded"})
    t0 = time.perf_counter()
    conn.request("POST", f"/api/v1/certificates/dev-issuing/6b{i:030x}/revoke", body,
                 {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    times.append((time.perf_counter() - t0) * 1000)
    assert r.status == 200, r.status
times.sort()
print("%.2f %.2f" % (statistics.median(times), times[int(len(times) * 0.99) - 1]))
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
if part revocation; then
fresh_ca rev-empty 8511
res=$(revoke_latency rev-empty 8511); row revocation "signet, CA with 0 revoked" 200 1 1 "${res% *}" "ms p50" "p99 ${res#* } ms"
fresh_ca rev-1m 8512
seed rev-1m 1000000 5a 1000000000 1 0
res=$(revoke_latency rev-1m 8512); row revocation "signet, CA with 1M revoked" 200 1 1 "${res% *}" "ms p50" "p99 ${res#* } ms"
rm -rf "$WORK"/rev-*
fi

# ---- 3. OCSP: signet vs cfssl ocspserve, OCSP_CERTS certificates each -----------------------
if part ocsp; then
fresh_ca ocsp 8513
seed ocsp "$OCSP_CERTS" 6c 1000000000 0 0
# OCSP is served on the plain-HTTP listener (as certificates name it), the API over HTTPS.
"$SIGNET" serve --data "$WORK/ocsp" --listen 127.0.0.1:8513 --http-listen 127.0.0.1:8613 >"$WORK/ocsp.log" 2>&1 & SIGNET_PID=$!; PIDS+=("$SIGNET_PID")
t0=$(date +%s.%N); wait_port 8513; wait_port 8613
want=$((OCSP_CERTS))
until [ "$(sqlite3 "$WORK/ocsp/signet.db" "SELECT count(*) FROM ocsp_responses WHERE serial LIKE '6c%'")" -ge "$want" ]; do sleep 0.5; done
t1=$(date +%s.%N)
row ocsp-presign "signet (delegated responder, from start)" "$OCSP_CERTS" - 1 "$(echo "$t1 - $t0" | bc)" s "responses signed and stored (server start included)"
issuing=$WORK/ocsp/cas/dev-issuing.pem; one="0x6c$(printf '%030x' 1)"
openssl ocsp -issuer "$issuing" -serial "$one" -no_nonce -reqout "$WORK/signet-req.der" >/dev/null
cat "$WORK/ocsp/cas/dev-root.pem" "$issuing" >"$WORK/signet-chain.pem"
openssl ocsp -issuer "$issuing" -serial "$one" -no_nonce -url http://127.0.0.1:8613/ocsp -CAfile "$WORK/signet-chain.pem" 2>&1 | sed 's/^/  signet: /' >&2 || true

mkdir -p "$WORK/cfssl" && cd "$WORK/cfssl"
cat >config.json <<'JSON'
{"signing": {"default": {"expiry": "2160h", "usages": ["digital signature", "server auth"]},
 "profiles": {"ocsp": {"expiry": "8760h", "usages": ["digital signature", "ocsp signing"]}}}}
JSON
echo '{"CN":"bench cfssl CA","key":{"algo":"ecdsa","size":256},"names":[{"O":"bench"}]}' >ca-csr.json
cfssl gencert -loglevel 5 -initca ca-csr.json 2>"$WORK/cfssl.err" | cfssljson -bare ca || { cat "$WORK/cfssl.err" >&2; exit 1; }
echo '{"CN":"bench cfssl OCSP","key":{"algo":"ecdsa","size":256}}' >ocsp-csr.json
cfssl gencert -loglevel 5 -ca ca.pem -ca-key ca-key.pem -config config.json -profile ocsp ocsp-csr.json 2>"$WORK/cfssl.err" | cfssljson -bare ocsp || { cat "$WORK/cfssl.err" >&2; exit 1; }
log "minting $OCSP_CERTS certificates of the cfssl CA"
"$PY" - "$OCSP_CERTS" <<'PY' || { log "minting certificates for cfssl failed"; exit 1; }
# OCSP_CERTS certificates of the cfssl CA in cfssl's certificate database (the schema its 2016
# build queries), as `cfssl sign` with -db-config would have stored them.
import datetime, sqlite3, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
n = int(sys.argv[1])
ca = x509.load_pem_x509_certificate(open("ca.pem", "rb").read())
ca_key = serialization.load_pem_private_key(open("ca-key.pem", "rb").read(), None)
leaf_key = ec.generate_private_key(ec.SECP256R1())
aki = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
db = sqlite3.connect("certdb.sqlite")
db.executescript("""
CREATE TABLE certificates (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL, ca_label blob,
  status blob NOT NULL, reason int, expiry timestamp, revoked_at timestamp, pem blob NOT NULL,
  PRIMARY KEY(serial_number, authority_key_identifier));
CREATE TABLE ocsp_responses (serial_number blob NOT NULL, authority_key_identifier blob NOT NULL,
  body blob NOT NULL, expiry timestamp, PRIMARY KEY(serial_number, authority_key_identifier));""")
# cfssl ocsprefresh signs for certificates whose expiry is after CURRENT_TIMESTAMP.
now = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(hours=1)
expiry = now + datetime.timedelta(days=90)
rows = []
for i in range(1, n + 1):
    serial = 0x6c << 120 | i
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, f"c{i}.example.com")]))
            .issuer_name(ca.subject).public_key(leaf_key.public_key()).serial_number(serial)
            .not_valid_before(now).not_valid_after(expiry)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    # cfssl scans revoked_at into a time, so a good certificate has the zero time, as cfssl writes it.
    zero = datetime.datetime(1, 1, 1)
    rows.append((str(serial), aki, "", "good", 0, expiry, zero, cert.public_bytes(serialization.Encoding.PEM).decode()))
db.executemany("INSERT INTO certificates VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
db.commit()
PY
echo "{\"driver\":\"sqlite3\",\"data_source\":\"$WORK/cfssl/certdb.sqlite\"}" >db.json
t0=$(date +%s.%N)
log "cfssl ocsprefresh: signing $OCSP_CERTS responses (minutes: it commits each one)"
cfssl ocsprefresh -loglevel 3 -db-config db.json -ca ca.pem -responder ocsp.pem -responder-key ocsp-key.pem 2>"$WORK/cfssl.err" || { cat "$WORK/cfssl.err" >&2; exit 1; }
t1=$(date +%s.%N)
row ocsp-presign "cfssl ocsprefresh" "$(sqlite3 certdb.sqlite 'SELECT count(*) FROM ocsp_responses')" - 1 "$(echo "$t1 - $t0" | bc)" s "responses signed and stored"
cfssl ocspdump -loglevel 5 -db-config db.json >responses 2>"$WORK/cfssl.err" || { cat "$WORK/cfssl.err" >&2; exit 1; }
# PIN=1 (the default on 2+ cores): each server runs on core 1 alone, started there so that it
# sizes its thread pool for one core (Go's GOMAXPROCS, tokio's workers), and wrk runs on core 0,
# as if client and server were two machines; otherwise wrk's threads and the server's share the
# cores and the tail latency measured is the scheduler's. PIN=0 measures unpinned.
SERVER_CPU=(); WRK=(wrk); PINNED="unpinned"
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  SERVER_CPU=(taskset -c 1); WRK=(taskset -c 0 wrk); PINNED="pinned (server on core 1; wrk on core 0)"
fi
"${SERVER_CPU[@]}" cfssl ocspserve -loglevel 5 -address 127.0.0.1 -port 8514 -responses responses >"$WORK/ocspserve.log" 2>&1 & CFSSL_PID=$!; PIDS+=("$CFSSL_PID")
wait_port 8514
openssl ocsp -issuer ca.pem -serial "$one" -no_nonce -reqout "$WORK/cfssl-req.der" >/dev/null
openssl ocsp -issuer ca.pem -serial "$one" -no_nonce -url http://127.0.0.1:8514/ -CAfile ca.pem 2>&1 | sed 's/^/  cfssl: /' >&2 || true
cd "$ROOT"

if [ ${#SERVER_CPU[@]} -gt 0 ]; then
  # signet signed ahead on every core; it serves from core 1 alone, as cfssl does.
  kill "$SIGNET_PID"; wait "$SIGNET_PID" 2>/dev/null || true
  "${SERVER_CPU[@]}" "$SIGNET" serve --data "$WORK/ocsp" --listen 127.0.0.1:8513 --http-listen 127.0.0.1:8613 >>"$WORK/ocsp.log" 2>&1 & SIGNET_PID=$!; PIDS+=("$SIGNET_PID")
  wait_port 8513; wait_port 8613
fi
log "OCSP serving, $PINNED"

point() { # subject url body pid connections run
  local t res c0 c1
  t=$(( $5 < 2 ? 1 : 2 ))
  c0=$(cpu_s "$4")
  res=$(BODY_FILE="$3" CONTENT_TYPE=application/ocsp-request MIN_BYTES=100 "${WRK[@]}" -t"$t" -c"$5" -d"${DUR}s" -s "$ROOT/bench/wrk_post.lua" "$2" | grep '^RESULT')
  c1=$(cpu_s "$4")
  python3 - "$stamp" "$1" "$OCSP_CERTS" "$5" "$6" "$res" "$c0" "$c1" "$PINNED" >>"$tsv" <<'PY'
import sys
stamp, subject, n, c, run, res, c0, c1, pinned = sys.argv[1:]
kv = dict(x.split("=") for x in res.split()[1:])
cpu_us = (float(c1) - float(c0)) * 1e6 / max(1, int(kv["requests"]))
print("\t".join([stamp, "ocsp", subject, n, c, run, kv["rps"], "req/s",
                 f"p50 {kv['p50_ms']} ms, p99 {kv['p99_ms']} ms, bad {kv['bad']}, server CPU {cpu_us:.0f} us/req, {pinned}"]))
PY
  tail -1 "$tsv" >&2
}
for c in $CONC; do
  for r in $(seq "$REPS"); do
    point "cfssl ocspserve" http://127.0.0.1:8514/ "$WORK/cfssl-req.der" "$CFSSL_PID" "$c" "$r"
    point "signet serve" http://127.0.0.1:8613/ocsp "$WORK/signet-req.der" "$SIGNET_PID" "$c" "$r"
  done
done
fi

python3 - "$tsv" "$ROOT/bench/results/revocation-latest.md" <<'PY'
import csv, os, re, statistics, sys
tsv, md = sys.argv[1:]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
out = ["# Revocation at scale: signet beside openssl and cfssl", "",
       f"Measured {rows[0]['date']} on {os.cpu_count()} cores ({cpu}), shared with other builds; loopback.", "",
       "## CRL generation (ECDSA P-256 CA)", "",
       "| revoked | signet full CRL | signet 16 partitions (all) | openssl ca -gencrl |", "|---:|---|---|---|"]
sizes = sorted({int(r["size"]) for r in rows if r["part"] == "crl"})
def cell(subject, n):
    r = [x for x in rows if x["part"] == "crl" and x["subject"].startswith(subject) and int(x["size"]) == n]
    return f"{float(r[-1]['value']):.2f} s ({r[-1]['detail']})" if r else "-"   # the newest run
for n in sizes:
    out.append(f"| {n:,} | {cell('signet full', n)} | {cell('signet 16', n)} | {cell('openssl', n)} |")
out += ["", "## Revocation latency (200 revocations over the API, one at a time)", "",
        "| CA | p50 | p99 |", "|---|---:|---:|"]
def newest(part):
    """The newest row per subject of a part (the day's file may hold several runs)."""
    last = {}
    for r in rows:
        if r["part"] == part:
            last[r["subject"]] = r
    return list(last.values())
for r in newest("revocation"):
    out.append(f"| {r['subject']} | {float(r['value']):.2f} ms | {r['detail'].split()[1]} ms |")
out += ["", "## OCSP", "", "Pre-signing:", ""]
for r in newest("ocsp-presign"):
    out.append(f"- {r['subject']}: {int(r['size']):,} responses in {float(r['value']):.1f} s")
out += ["", "Serving one good certificate's request by POST (medians of the runs):", "",
        "| connections | cfssl ocspserve req/s | signet req/s | ratio | p99 ms cfssl / signet | server CPU us/req cfssl / signet |",
        "|---:|---:|---:|---:|---|---|"]
# The newest OCSP run only (the day's file may hold earlier ones).
latest = max((r["date"] for r in rows if r["part"] == "ocsp"), default="")
ocsp_rows = [r for r in rows if r["part"] == "ocsp" and r["date"] == latest]
modes = sorted({r["detail"].rsplit(", ", 1)[-1] for r in ocsp_rows if "pinned" in r["detail"]})
if modes:
    out.insert(out.index("| connections | cfssl ocspserve req/s | signet req/s | ratio | p99 ms cfssl / signet | server CPU us/req cfssl / signet |") - 1,
               f"Run {latest}, {'; '.join(modes)}.")
def med(subject, c, pick):
    vals = [pick(r) for r in ocsp_rows if r["subject"] == subject and r["connections"] == c]
    return statistics.median(vals) if vals else float("nan")
num = lambda pattern: (lambda r: float(re.search(pattern, r["detail"]).group(1)))
for c in sorted({r["connections"] for r in ocsp_rows}, key=int):
    cf, sg = med("cfssl ocspserve", c, lambda r: float(r["value"])), med("signet serve", c, lambda r: float(r["value"]))
    p99 = "%.2f / %.2f" % (med("cfssl ocspserve", c, num(r"p99 ([\d.]+)")), med("signet serve", c, num(r"p99 ([\d.]+)")))
    cpu_us = "%.0f / %.0f" % (med("cfssl ocspserve", c, num(r"CPU (\d+)")), med("signet serve", c, num(r"CPU (\d+)")))
    out.append(f"| {c} | {cf:,.0f} | {sg:,.0f} | {sg/cf:.1f}x | {p99} | {cpu_us} |")
bad = sum(int(re.search(r"bad (\d+)", r["detail"]).group(1)) for r in ocsp_rows)
out += ["", f"Answers that were not a signed response of at least 100 octets: {bad}."]
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
