#!/usr/bin/env bash
# Runs the whole signet test suite on a fresh machine: installs (idempotently) every system tool
# the tests use, starts a private PostgreSQL server, checks formatting and lints, then runs unit,
# API, end-to-end and interop tests. This is the README's test command, and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

log() { printf '\n==> %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Rust: the toolchain is not an apt package (Debian's rustc is too old) -------------------
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust 1.95 or newer with rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  command -v rustup >/dev/null && rustup component add rustfmt clippy
fi

# --- system packages (Debian) -------------------------------------------------------------
apt_packages=()
command -v cc >/dev/null || apt_packages+=(gcc libc6-dev)   # bundled SQLite and AWS-LC are C
type -P kill >/dev/null || apt_packages+=(procps)          # the e2e tests stop servers with kill
command -v openssl >/dev/null || apt_packages+=(openssl)
command -v curl >/dev/null || apt_packages+=(curl)         # the HTTPS tests run the printed curl line
command -v lego >/dev/null || apt_packages+=(lego)         # the ACME tests drive lego and dehydrated unmodified
command -v dehydrated >/dev/null || apt_packages+=(dehydrated)
command -v pebble-challtestsrv >/dev/null || apt_packages+=(pebble)   # DNS and http-01 responder for ACME tests
command -v sqlite3 >/dev/null || apt_packages+=(sqlite3)
command -v psql >/dev/null || apt_packages+=(postgresql-client)
ls -d /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_packages+=(postgresql)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
if [ ${#apt_packages[@]} -gt 0 ]; then
  log "installing ${apt_packages[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${apt_packages[@]}"
fi

# --- Python tools in a venv (pkilint, certbot) ---------------------------------------------
# Pinned: a new pkilint release may add findings, a new certbot other behaviour; move the pins on
# purpose, with the fixes. certbot 5 has ACME profiles (--preferred-profile) and ARI.
PKILINT=pkilint==0.13.3
CERTBOT=certbot==5.8.0
VENV=$ROOT/.venv-test
for package in "$PKILINT" "$CERTBOT"; do
  if ! "$VENV/bin/pip" freeze 2>/dev/null | grep -qx "$package"; then
    log "installing $package into $VENV"
    [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "$package"
  fi
done
export SIGNET_TOOLS_DIR=$VENV/bin

# --- a private PostgreSQL server for the store and end-to-end tests --------------------------
log "starting PostgreSQL"
eval "$(./scripts/postgres.sh start)"
trap './scripts/postgres.sh stop' EXIT

# --- checks and tests -----------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
log "cargo test"
cargo test --workspace --locked
log "all tests passed"
