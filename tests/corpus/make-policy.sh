#!/usr/bin/env bash
# Regenerates the issuance-policy corpus in tests/corpus/policy/ (committed; never edit the files
# by hand): CSRs a CA must refuse for their subject or their key, whatever the profile, and one it
# must accept. Needs python3 with the `cryptography` package (Debian: python3-cryptography), which
# writes what openssl's command line refuses to (over-long values, NUL and other control characters).
# Each file's expected outcome is listed in policy/EXPECTED:
#   FILE <tab> text that must appear in the refusal, or "accept"
set -euo pipefail
cd "$(dirname "$0")"
out=policy
rm -f "$out"/*
python3 - "$out" <<'PY'
import sys, os
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.name import _ASN1Type
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, dsa

out = sys.argv[1]
p256 = ec.generate_private_key(ec.SECP256R1())
expected = []

def attr(oid, value, kind=None):
    # _validate=False: cryptography itself refuses over-long values, which is what we test.
    if kind is None:
        return x509.NameAttribute(oid, value, _validate=False)
    return x509.NameAttribute(oid, value, kind, _validate=False)

def csr(name, subject, key=p256, hash_alg=hashes.SHA256(), sans=("www.example.com",)):
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(subject))
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    request = builder.sign(key, hash_alg)
    open(os.path.join(out, name), "wb").write(request.public_bytes(serialization.Encoding.PEM))

def case(name, text, subject, **kw):
    csr(name, subject, **kw)
    expected.append((name, text))

CN = lambda v: attr(NameOID.COMMON_NAME, v)
host = CN("www.example.com")

# Upper bounds (RFC 5280 Appendix A), one past each.
case("subject-cn-65.pem", "common name (CN): 65 characters; RFC 5280 ub-common-name allows at most 64", [CN("a" * 65)])
case("subject-o-65.pem", "organization (O): 65 characters", [attr(NameOID.ORGANIZATION_NAME, "o" * 65), host])
case("subject-ou-65.pem", "organizational unit (OU): 65 characters", [attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "u" * 65), host])
case("subject-l-129.pem", "locality (L): 129 characters", [attr(NameOID.LOCALITY_NAME, "l" * 129), host])
case("subject-st-129.pem", "state (ST): 129 characters", [attr(NameOID.STATE_OR_PROVINCE_NAME, "s" * 129), host])
case("subject-serialnumber-65.pem", "serial number (serialNumber): 65 characters", [attr(NameOID.SERIAL_NUMBER, "9" * 65), host])
case("subject-email-256.pem", "e-mail (emailAddress): 256 characters", [attr(NameOID.EMAIL_ADDRESS, "m" * 244 + "@example.com", _ASN1Type.IA5String), host])
case("subject-c-3.pem", "country (C): \"GBR\" is not an ISO 3166-1 alpha-2 country code; did you mean GB", [attr(NameOID.COUNTRY_NAME, "GBR", _ASN1Type.PrintableString), host])
# Control characters: NUL, newline, escape.
case("subject-o-nul.pem", "organization (O): contains the control character U+0000 at position 5", [attr(NameOID.ORGANIZATION_NAME, "Acme\x00Ltd"), host])
case("subject-cn-newline.pem", "common name (CN): contains the control character U+000A", [CN("www.example.com\nX-Injected: 1")])
case("subject-ou-escape.pem", "organizational unit (OU): contains the control character U+001B at position 1", [attr(NameOID.ORGANIZATIONAL_UNIT_NAME, "\x1b[31mred"), host])
# URL and path shapes in the Common Name (P2).
case("subject-cn-url.pem", "is a URL; a certificate names the host only", [CN("https://www.example.com/login")])
case("subject-cn-path.pem", "contains a path; a certificate names the host only: use \"www.example.com\"", [CN("www.example.com/login")])
case("subject-cn-port.pem", "contains a port; certificates are not tied to ports", [CN("www.example.com:443")])
case("subject-cn-file.pem", "which is a file extension, not a domain", [CN("www.mydomain.csr")])
# Placeholders (P3), named for whose they are.
case("subject-openssl-defaults.pem", "is the default OpenSSL's own openssl.cnf offers", [attr(NameOID.COUNTRY_NAME, "AU", _ASN1Type.PrintableString), attr(NameOID.STATE_OR_PROVINCE_NAME, "Some-State"), attr(NameOID.ORGANIZATION_NAME, "Internet Widgits Pty Ltd"), host])
case("subject-redhat-defaults.pem", "is the default the openssl.cnf of Red Hat, Fedora and CentOS offers", [attr(NameOID.LOCALITY_NAME, "Default City"), attr(NameOID.ORGANIZATION_NAME, "Default Company Ltd"), host])
case("subject-example-inc.pem", "organization (O): \"Example Inc\" is a placeholder from examples and forms", [attr(NameOID.ORGANIZATION_NAME, "Example Inc"), host])
# Keys no shipped profile accepts: named for what they are, before any signature check.
allowed = "this key type is not accepted here (allowed: RSA 2048-8192 bits, EC P-256, EC P-384)"
case("key-secp256k1.pem", "the CSR's key is EC secp256k1: " + allowed, [host], key=ec.generate_private_key(ec.SECP256K1()))
case("key-p521.pem", "the CSR's key is EC P-521: " + allowed, [host], key=ec.generate_private_key(ec.SECP521R1()), hash_alg=hashes.SHA512())
case("key-ed448.pem", "the CSR's key is Ed448: " + allowed, [host], key=ed448.Ed448PrivateKey.generate(), hash_alg=None)
case("key-ed25519.pem", "the CSR's key is Ed25519: " + allowed, [host], key=ed25519.Ed25519PrivateKey.generate(), hash_alg=None)
case("key-dsa.pem", "the CSR's key is DSA: " + allowed, [host], key=dsa.generate_private_key(2048))
# An algorithm nobody knows: id-ecPublicKey (1.2.840.10045.2.1) turned into 1.2.840.10045.2.99,
# same length; the signature no longer verifies, but the key type is what is refused.
csr("key-unknown-algorithm.pem", [host])
path = os.path.join(out, "key-unknown-algorithm.pem")
der = x509.load_pem_x509_csr(open(path, "rb").read()).public_bytes(serialization.Encoding.DER)
known = bytes([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01])
assert der.count(known) == 1
der = der.replace(known, known[:-1] + bytes([0x63]))
import base64
b64 = base64.b64encode(der).decode()
open(path, "w").write("-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(b64[i:i+64] for i in range(0, len(b64), 64)) + "\n-----END CERTIFICATE REQUEST-----\n")
expected.append(("key-unknown-algorithm.pem", "the CSR's key is of unknown algorithm 1.2.840.10045.2.99: " + allowed))
# Accepted: a BMPString organisation (as some Windows tools write it) and a Common Name in capitals.
case("subject-bmp-accepted.pem", "accept", [attr(NameOID.COUNTRY_NAME, "GB", _ASN1Type.PrintableString), attr(NameOID.ORGANIZATION_NAME, "Z\u00fcrich Ltd", _ASN1Type.BMPString), CN("WWW.Example.COM")])

with open(os.path.join(out, "EXPECTED"), "w") as f:
    for name, text in expected:
        f.write(name + "\t" + text + "\n")
PY
