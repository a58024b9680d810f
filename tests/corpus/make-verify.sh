#!/usr/bin/env bash
# Regenerates the pathological-chain corpus in tests/corpus/verify/ (committed; never edit by hand)
# from the vendored x509-limbo suite (tests/limbo/limbo.json, Apache-2.0, provenance in its
# README): for each case, NAME.leaf.pem, NAME.chain.pem (if any) and NAME.roots.pem. Each line of
# verify/EXPECTED is: NAME <tab> host <tab> time <tab> problem code signet must report (exit 1).
set -euo pipefail
cd "$(dirname "$0")"
rm -f verify/*
python3 - <<'PY'
import json
cases = {
    # name in the corpus: (limbo id, problem code signet reports)
    "chain-100-same-subject-distinct-key": ("pathological::pathological-chain-same-subject-distinct-key", "too-much-work"),
    "chain-100-distinct-subject-distinct-key": ("pathological::pathological-chain-distinct-subject-distinct-key", "path-too-long"),
    "chain-100-distinct-subject-same-key": ("pathological::pathological-chain-distinct-subject-same-key", "path-too-long"),
    "chain-100-same-subject-same-key": ("pathological::pathological-chain-same-subject-same-key", "untrusted-root"),
    "intermediate-cycle": ("pathological::intermediate-cycle-distinct-cas", "untrusted-root"),
    "nc-2048-names-2048-subtrees": ("pathological::nc-dos-2", "too-much-work"),
    "nc-many-names": ("pathological::nc-dos-1", "invalid-chain"),
    "nc-wildcard-cve-2025-61727": ("cve::cve-2025-61727", "name-constraints"),
}
suite = {c["id"]: c for c in json.load(open("../limbo/limbo.json"))["testcases"]}
lines = []
for name, (case_id, code) in cases.items():
    case = suite[case_id]
    def write(suffix, pems):
        with open(f"verify/{name}.{suffix}.pem", "w") as f:
            f.write("".join(p if p.endswith("\n") else p + "\n" for p in pems))
    write("leaf", [case["peer_certificate"]])
    write("roots", case["trusted_certs"])
    if case["untrusted_intermediates"]:
        write("chain", case["untrusted_intermediates"])
    time = (case["validation_time"] or "2026-01-01T00:00:00Z").replace("+00:00", "Z")
    lines.append(f"{name}\t{case['expected_peer_name']['value']}\t{time}\t{code}\t# {case_id}")
open("verify/EXPECTED", "w").write("\n".join(lines) + "\n")
PY
ls verify | wc -l
