#!/usr/bin/env bash
# Regenerates tests/corpus/good/: one valid sample of every kind of file signet reads, made by
# openssl (provenance: OpenSSL 3.0 CLI). Used as seeds by the fuzz target and the mutation test.
# The keys here are throwaway test keys; the PKCS#12 password is "test".
set -euo pipefail
cd "$(dirname "$0")/good"
rm -f ./*
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 \
  -subj "/CN=Corpus CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=www.example.com" -addext "subjectAltName=DNS:www.example.com,IP:192.0.2.1" 2>/dev/null
printf 'subjectAltName=DNS:www.example.com,IP:192.0.2.1\nextendedKeyUsage=serverAuth\ncrlDistributionPoints=URI:http://ca.example.com/ca.crl\nauthorityInfoAccess=OCSP;URI:http://ca.example.com/ocsp\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -days 3650 -extfile leaf.ext -out leaf.pem 2>/dev/null
openssl x509 -in leaf.pem -outform DER -out leaf.der
openssl genrsa -traditional -out rsa-pkcs1.key 2048 2>/dev/null
openssl pkey -in leaf.key -pubout -out leaf.pub
openssl pkcs8 -topk8 -in leaf.key -out leaf-encrypted.key -v2 aes-256-cbc -passout pass:test
cat leaf.pem ca.pem > chain.pem
openssl crl2pkcs7 -nocrl -certfile chain.pem -outform DER -out chain.p7b
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -passout pass:test -out leaf.p12
printf '[ca]\ndefault_ca=t\n[t]\ndatabase=index.txt\ncertificate=ca.pem\nprivate_key=ca.key\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n[e]\nauthorityKeyIdentifier=keyid:always\n' > ca.cnf
serial=$(openssl x509 -in leaf.pem -noout -serial | cut -d= -f2)
printf 'R\t351001000000Z\t261101000000Z,keyCompromise\t%s\tunknown\t/CN=www.example.com\n' "$serial" > index.txt
echo 1000 > crlnumber
openssl ca -config ca.cnf -gencrl -crlexts e -out ca.crl 2>/dev/null
openssl ocsp -issuer ca.pem -cert leaf.pem -reqout ocsp-request.der >/dev/null 2>&1
openssl ocsp -index index.txt -rsigner ca.pem -rkey ca.key -CA ca.pem -reqin ocsp-request.der -respout ocsp-response.der >/dev/null 2>&1
rm -f ca.cnf index.txt* crlnumber* leaf.ext ca.key
ls
