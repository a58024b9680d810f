#!/usr/bin/env bash
# Benchmark: key generation and key+CSR creation per second for each algorithm, signet against
# openssl (genpkey / req) run side by side in the same run, one process per operation (how
# users run both tools). Timing by hyperfine (median of RUNS, after warm-up). Results go to
# bench/results/keygen-<date>.tsv and bench/results/keygen-latest.md.
#   RUNS=30 RSA_RUNS=30 ./bench/keygen.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${RUNS:-30}
RSA_RUNS=${RSA_RUNS:-30}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
command -v hyperfine >/dev/null || { as_root apt-get update -q; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q hyperfine; }
cargo build --release --locked -q -p signet-cli
SIGNET=$ROOT/target/release/signet
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tsv=$ROOT/bench/results/keygen-$(date -u +%Y%m%d).tsv
printf 'date\talgorithm\toperation\ttool\tmedian_ms\tmin_ms\tmax_ms\truns\n' >"$tsv"

openssl_genpkey() {
  case $1 in
    ec-p256) echo "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out o.key" ;;
    ec-p384) echo "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out o.key" ;;
    rsa-*) echo "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:${1#rsa-} -out o.key" ;;
    ed25519) echo "openssl genpkey -algorithm ed25519 -out o.key" ;;
  esac
}
openssl_newkey() {
  case $1 in
    ec-p256) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
    ec-p384) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
    rsa-*) echo "-newkey rsa:${1#rsa-}" ;;
    ed25519) echo "-newkey ed25519" ;;
  esac
}

measure() { # algorithm operation tool runs command
  local alg=$1 op=$2 tool=$3 runs=$4 cmd=$5
  hyperfine -N --warmup 3 --runs "$runs" --export-json h.json "$cmd" >/dev/null 2>&1
  python3 - "$stamp" "$alg" "$op" "$tool" h.json >>"$tsv" <<'PY'
import json, sys
stamp, alg, op, tool, f = sys.argv[1:]
r = json.load(open(f))["results"][0]
print("\t".join([stamp, alg, op, tool, "%.3f" % (r["median"] * 1e3), "%.3f" % (r["min"] * 1e3), "%.3f" % (r["max"] * 1e3), str(len(r["times"]))]))
PY
  tail -1 "$tsv" >&2
}

for alg in ec-p256 ec-p384 ed25519 rsa-2048 rsa-3072 rsa-4096; do
  runs=$RUNS; case $alg in rsa-*) runs=$RSA_RUNS ;; esac
  measure "$alg" key signet "$runs" "$SIGNET key new --alg $alg --out s.key --force"
  measure "$alg" key openssl "$runs" "$(openssl_genpkey "$alg")"
  measure "$alg" key+csr signet "$runs" "$SIGNET csr new --new-key $alg --key-out s.key --cn bench.example.com --out s.csr --force"
  measure "$alg" key+csr openssl "$runs" "openssl req -new $(openssl_newkey "$alg") -nodes -keyout o.key -out o.csr -subj /CN=bench.example.com"
done

python3 - "$tsv" "$ROOT/bench/results/keygen-latest.md" <<'PY'
import csv, sys, platform, os, subprocess
tsv, md = sys.argv[1:]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
out = ["# Key and CSR generation: signet vs openssl", "",
       f"Measured {rows[0]['date']} on {os.cpu_count()} cores ({cpu}), {ossl}; one process per operation,",
       "median of hyperfine runs after 3 warm-ups. Ratio = openssl time / signet time (above 1: signet is faster).", "",
       "| algorithm | operation | signet ops/s | openssl ops/s | signet median ms | openssl median ms | ratio |",
       "|---|---|---:|---:|---:|---:|---:|"]
by = {(r["algorithm"], r["operation"], r["tool"]): r for r in rows}
for (alg, op, tool), r in by.items():
    if tool != "signet": continue
    o = by[(alg, op, "openssl")]
    s_ms, o_ms = float(r["median_ms"]), float(o["median_ms"])
    out.append(f"| {alg} | {op} | {1000/s_ms:,.0f} | {1000/o_ms:,.0f} | {s_ms:.2f} | {o_ms:.2f} | {o_ms/s_ms:.2f} |")
open(md, "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
