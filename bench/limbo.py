#!/usr/bin/env python3
"""Runs every x509-limbo case through `signet verify` and `openssl verify`; see bench/limbo.sh.

Each case's leaf, intermediates, trusted roots and CRLs are written to files, and both tools are
asked the same question with their own flags:

  signet verify leaf.pem --chain chain.pem --roots roots.pem --at T --purpose server|client
                [--host NAME | --email ADDR] [--eku E] [--key-usage K] [--max-depth N] [--crl F]
  openssl verify -x509_strict -partial_chain -CAfile roots.pem -untrusted chain.pem -attime T
                -purpose sslserver|sslclient [-verify_hostname NAME | -verify_ip IP | -verify_email ADDR]
                [-verify_depth N] [-crl_check -CRLfile F] leaf.pem

`-partial_chain` because limbo's trusted certificates are trust anchors whether self-signed or not;
`-x509_strict` is openssl's strictest standard mode (a second openssl run without it is
reported too). openssl has no flag for a required keyUsage,
so those cases run without it. Exit 0 is "accepted"; anything else is "rejected" (a crash or a
timeout would be reported as such in the reason).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile

DEFAULT_TIME = "2026-01-01T00:00:00+00:00"
TIMEOUT = 60


def write(path, pems):
    with open(path, "w") as f:
        f.write("".join(p if p.endswith("\n") else p + "\n" for p in pems))


def epoch(text):
    return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def run(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT}s"
    return done.returncode == 0, done.returncode, done.stdout, done.stderr


def signet_case(signet, case, work):
    at = case["validation_time"] or DEFAULT_TIME
    cmd = [signet, "verify", os.path.join(work, "leaf.pem"), "--roots", os.path.join(work, "roots.pem"),
           "--at", at.replace("+00:00", "Z"),
           "--purpose", "client" if case["validation_kind"] == "CLIENT" else "server"]
    if case["untrusted_intermediates"]:
        cmd += ["--chain", os.path.join(work, "chain.pem")]
    peer = case.get("expected_peer_name") or {}
    if peer.get("kind") in ("DNS", "IP"):
        cmd += ["--host", peer["value"]]
    elif peer.get("kind") == "RFC822":
        cmd += ["--email", peer["value"]]
    for eku in case["extended_key_usage"]:
        cmd += ["--eku", eku]
    for ku in case["key_usage"]:
        cmd += ["--key-usage", ku]
    if case["max_chain_depth"] is not None:
        cmd += ["--max-depth", str(case["max_chain_depth"])]
    for i in range(len(case["crls"] or [])):
        cmd += ["--crl", os.path.join(work, f"crl{i}.pem")]
    result = run(cmd)
    if len(result) == 2:
        return result
    ok, code, out, err = result
    if ok:
        return True, "verifies"
    problems = [line[len("PROBLEM "):] for line in out.splitlines() if line.startswith("PROBLEM ")]
    lines = err.strip().splitlines()
    reason = " / ".join(problems) or (lines[-1] if lines else f"exit {code}")
    if code not in (1, 2):
        reason = f"exit {code}: {reason}"
    return False, reason


def openssl_case(case, work, strict=True):
    at = case["validation_time"] or DEFAULT_TIME
    cmd = ["openssl", "verify"] + (["-x509_strict"] if strict else []) + [
           "-partial_chain", "-CAfile", os.path.join(work, "roots.pem"),
           "-attime", str(epoch(at)),
           "-purpose", "sslclient" if case["validation_kind"] == "CLIENT" else "sslserver"]
    if case["untrusted_intermediates"]:
        cmd += ["-untrusted", os.path.join(work, "chain.pem")]
    peer = case.get("expected_peer_name") or {}
    if peer.get("kind") == "DNS":
        cmd += ["-verify_hostname", peer["value"]]
    elif peer.get("kind") == "IP":
        cmd += ["-verify_ip", peer["value"]]
    elif peer.get("kind") == "RFC822":
        cmd += ["-verify_email", peer["value"]]
    if case["max_chain_depth"] is not None:
        cmd += ["-verify_depth", str(case["max_chain_depth"])]
    if case["crls"]:
        cmd += ["-crl_check"]
        for i in range(len(case["crls"])):
            cmd += ["-CRLfile", os.path.join(work, f"crl{i}.pem")]
    cmd.append(os.path.join(work, "leaf.pem"))
    result = run(cmd)
    if len(result) == 2:
        return result
    ok, code, out, err = result
    if ok:
        return True, "verifies"
    errors = re.findall(r"error \d+ at \d+ depth lookup: ([^\n]+)", out + err)
    reason = "; ".join(dict.fromkeys(errors)) or (err.strip().splitlines() or [f"exit {code}"])[-1]
    return False, reason


def verdict(expected_accept, accepted):
    if expected_accept == accepted:
        return "right"
    return "FALSE ACCEPT" if accepted else "false reject"


def summary(rows, tool):
    def count(subset):
        right = sum(1 for r in subset if r[f"{tool}_verdict"] == "right")
        fa = sum(1 for r in subset if r[f"{tool}_verdict"] == "FALSE ACCEPT")
        fr = sum(1 for r in subset if r[f"{tool}_verdict"] == "false reject")
        return right, fa, fr
    everything = count(rows)
    core = count([r for r in rows if not r["features"]])
    return everything, core


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signet", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--tsv", required=True)
    parser.add_argument("--doc", required=True)
    args = parser.parse_args()
    suite = json.load(open(args.suite))
    cases = suite["testcases"]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for case in cases:
            for name in os.listdir(work):
                os.remove(os.path.join(work, name))
            write(os.path.join(work, "leaf.pem"), [case["peer_certificate"]])
            write(os.path.join(work, "roots.pem"), case["trusted_certs"])
            if case["untrusted_intermediates"]:
                write(os.path.join(work, "chain.pem"), case["untrusted_intermediates"])
            for i, crl in enumerate(case["crls"] or []):
                write(os.path.join(work, f"crl{i}.pem"), [crl])
            expected_accept = case["expected_result"] == "SUCCESS"
            s_ok, s_reason = signet_case(args.signet, case, work)
            o_ok, o_reason = openssl_case(case, work)
            d_ok, _ = openssl_case(case, work, strict=False)
            rows.append({
                "id": case["id"], "expected": case["expected_result"], "features": ",".join(case["features"] or []),
                "signet": "SUCCESS" if s_ok else "FAILURE", "signet_verdict": verdict(expected_accept, s_ok),
                "signet_reason": s_reason,
                "openssl": "SUCCESS" if o_ok else "FAILURE", "openssl_verdict": verdict(expected_accept, o_ok),
                "openssl_reason": o_reason,
                "openssl_default": "SUCCESS" if d_ok else "FAILURE",
                "openssl_default_verdict": verdict(expected_accept, d_ok),
            })
    columns = ["id", "expected", "features", "signet", "signet_verdict", "signet_reason", "openssl",
               "openssl_verdict", "openssl_reason", "openssl_default", "openssl_default_verdict"]
    os.makedirs(os.path.dirname(args.tsv), exist_ok=True)
    with open(args.tsv, "w") as f:
        f.write("\t".join(columns) + "\n")
        for r in rows:
            f.write("\t".join(str(r[c]).replace("\t", " ").replace("\n", " ") for c in columns) + "\n")

    version = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    optional = sum(1 for r in rows if r["features"])
    lines = [
        f"Measured {stamp} by `./bench/limbo.sh` on all {len(rows)} cases ({optional} of them exercise optional",
        f"features); {version}. Raw results with each tool's reason: `bench/results/limbo.tsv`.",
        "",
        "| tool | right | false accepts (expected FAILURE, said valid) | false rejects | false accepts outside optional features |",
        "|---|---:|---:|---:|---:|",
    ]
    for tool, label in (("signet", "`signet verify`"), ("openssl", "`openssl verify -x509_strict -partial_chain`"),
                        ("openssl_default", "`openssl verify -partial_chain` (default strictness)")):
        (right, fa, fr), (_, core_fa, _) = summary(rows, tool)
        lines.append(f"| {label} | {right} | {fa} | {fr} | {core_fa} |")
    lines += ["", "Compared with `openssl verify -x509_strict`, the stricter of the two openssl runs:"]
    both_wrong = sum(1 for r in rows if r["signet_verdict"] != "right" and r["openssl_verdict"] != "right")
    only_signet = sum(1 for r in rows if r["signet_verdict"] == "right" and r["openssl_verdict"] != "right")
    only_openssl = sum(1 for r in rows if r["signet_verdict"] != "right" and r["openssl_verdict"] == "right")
    lines += ["", f"Right only with signet: {only_signet}; right only with openssl: {only_openssl}; wrong with both: {both_wrong}."]
    table = "\n".join(lines)

    doc = open(args.doc).read()
    start, end = "<!-- limbo-table:start -->", "<!-- limbo-table:end -->"
    if start not in doc or end not in doc:
        sys.exit(f"{args.doc} has no {start} ... {end} markers")
    before, rest = doc.split(start, 1)
    _, after = rest.split(end, 1)
    with open(args.doc, "w") as f:
        f.write(before + start + "\n" + table + "\n" + end + after)
    print(table)


if __name__ == "__main__":
    main()
