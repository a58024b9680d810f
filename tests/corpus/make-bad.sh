#!/usr/bin/env bash
# Regenerates the bad-input corpus in tests/corpus/bad/ (committed; never edit the files by hand).
# Needs openssl and python3. Each file's expected outcome is listed in bad/EXPECTED:
#   FILE <tab> error|ok <tab> text that must appear in the message (stderr for errors, stdout for ok).
set -euo pipefail
cd "$(dirname "$0")"
out=bad
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$out"/*
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/k.pem" \
  -out "$work/c.pem" -days 30 -subj "/CN=corpus.example.com" 2>/dev/null
openssl x509 -in "$work/c.pem" -outform DER -out "$work/c.der"
openssl req -new -key "$work/k.pem" -subj "/CN=corpus.example.com" -out "$work/r.pem" 2>/dev/null
openssl req -in "$work/r.pem" -outform DER -out "$work/r.der"
openssl genrsa -out "$work/rsa.pem" 2048 2>/dev/null
openssl req -new -md5 -key "$work/rsa.pem" -subj "/CN=md5.example.com" -out "$out/csr-md5.pem" 2>/dev/null
openssl req -new -sha1 -key "$work/rsa.pem" -subj "/CN=sha1.example.com" -out "$out/csr-sha1.pem" 2>/dev/null

python3 - "$work" "$out" <<'PY'
import base64, random, sys, os
work, out = sys.argv[1], sys.argv[2]
random.seed(1)
def pem(label, der):
    b = base64.b64encode(der).decode()
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(b[i:i+64] for i in range(0, len(b), 64)), label)
cert = open(os.path.join(work, "c.der"), "rb").read()
csr = open(os.path.join(work, "r.der"), "rb").read()
def w(name, data, mode="wb"):
    open(os.path.join(out, name), mode).write(data)
w("empty.pem", b"")
w("whitespace.pem", b"  \n\r\n\t\n")
w("garbage.bin", bytes(random.getrandbits(8) for _ in range(256)))
w("truncated-cert.der", cert[:150])
w("truncated-cert.pem", pem("CERTIFICATE", cert[:150]), "w")
w("csr-labelled-certificate.pem", pem("CERTIFICATE", csr), "w")
w("csr-labelled-private-key.pem", pem("PRIVATE KEY", csr), "w")
begin, body = pem("CERTIFICATE", cert).split("\n", 1)
w("bad-base64.pem", begin + "\n" + body.replace("A", "!", 1), "w")
# A damaged BEGIN line is forgiven like a missing one (P4): read with a warning.
w("damaged-begin.pem", pem("CERTIFICATE", cert).replace("CERTIFICATE-----\n", "CERTIFIC!TE-----\n", 1), "w")
w("unknown-label.pem", pem("SOMETHING ELSE", cert), "w")
w("length-bomb.der", bytes([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00]))
w("ber-indefinite.der", bytes([0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]))
# 10,000 nested SEQUENCEs with correct definite lengths.
inner = b"\x05\x00"
for _ in range(10000):
    n = len(inner)
    if n < 128: hdr = bytes([0x30, n])
    elif n < 256: hdr = bytes([0x30, 0x81, n])
    elif n < 65536: hdr = bytes([0x30, 0x82, n >> 8, n & 255])
    else: hdr = bytes([0x30, 0x83, n >> 16, (n >> 8) & 255, n & 255])
    inner = hdr + inner
w("deep-nesting.der", inner)
w("trailing-garbage.der", cert + b"JUNK AFTER THE CERTIFICATE")
bad_sig = bytearray(csr); bad_sig[-5] ^= 0x01
w("csr-bad-signature.pem", pem("CERTIFICATE REQUEST", bytes(bad_sig)), "w")
# a flipped byte inside the TBS makes the structure or the signature fail, never a panic
w("cert-flipped-length.der", cert[:1] + bytes([cert[1] ^ 0x01]) + cert[2:])
w("text-dump.txt", "Certificate:\n    Data:\n        Version: 3 (0x2)\n        Signature Algorithm: ecdsa-with-SHA256\n", "w")
w("page.html", "<!DOCTYPE html><html><body>Your certificate is ready</body></html>\n", "w")
w("id_ed25519.pub", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKw1b7c3c2FtcGxlc2FtcGxlc2FtcGxlc2FtcGxl user@host\n", "w")
w("json.json", '{"certificate": "MIIB..."}\n', "w")
PY

cat > "$out/EXPECTED" <<'TSV'
empty.pem	error	the file is empty
whitespace.pem	error	the file is empty
garbage.bin	error	unrecognised data
truncated-cert.der	error	truncated
truncated-cert.pem	error	truncated
csr-labelled-certificate.pem	error	labelled CERTIFICATE but contains a certificate request
csr-labelled-private-key.pem	error	labelled PRIVATE KEY but contains a certificate request
bad-base64.pem	error	is not base64
damaged-begin.pem	ok	CN=corpus.example.com
unknown-label.pem	error	is not a kind of file signet reads
length-bomb.der	error	truncated
ber-indefinite.der	error	unrecognised data
deep-nesting.der	error	unrecognised data
trailing-garbage.der	error	unexpected bytes follow
csr-bad-signature.pem	ok	DOES NOT VERIFY
csr-md5.pem	ok	md5WithRSAEncryption, WEAK ALGORITHM
csr-sha1.pem	ok	sha1WithRSAEncryption, WEAK ALGORITHM
cert-flipped-length.der	error	truncated
text-dump.txt	error	openssl -text
page.html	error	HTML
id_ed25519.pub	error	SSH key
json.json	error	JSON
TSV
ls "$out" | wc -l
