//! ACME identifiers (RFC 8555 §7.1.3/§9.7.7, RFC 8738): `dns` names, wildcards among them, and
//! `ip` addresses, read strictly into the forms the CA compares and issues.

use std::net::IpAddr;

use serde_json::{Value, json};
use signet_model::{DnsName, Identifier};
use signet_store::acme::AcmeIdentifier;

use crate::problem::{AcmeProblem, ProblemType, Subproblem};

/// Most identifiers one order may hold.
pub const MAX_IDENTIFIERS: usize = 100;

/// An identifier as ordered: what it names, and whether it is a wildcard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// As stored in the order (`*.example.com` for a wildcard).
    pub stored: AcmeIdentifier,
    /// As the certificate holds it.
    pub name: Identifier,
    /// The authorization's identifier (the base name of a wildcard).
    pub authorization: AcmeIdentifier,
    /// A wildcard.
    pub wildcard: bool,
}

/// The JSON form of a stored identifier.
pub fn json_of(identifier: &AcmeIdentifier) -> Value {
    json!({"type": identifier.kind, "value": identifier.value})
}

fn refused(kind: ProblemType, value: &Value, detail: String) -> Subproblem {
    Subproblem { kind: kind.urn(), detail, identifier: value.clone() }
}

/// Reads one identifier object.
fn read(value: &Value) -> Result<Ordered, Subproblem> {
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    let text = value.get("value").and_then(Value::as_str).unwrap_or("");
    match kind {
        "dns" => {
            if text.parse::<IpAddr>().is_ok() {
                return Err(refused(
                    ProblemType::RejectedIdentifier,
                    value,
                    format!("{text} is an address: order it as {{\"type\": \"ip\"}} (RFC 8738)"),
                ));
            }
            let (wildcard, base) = match text.strip_prefix("*.") {
                Some(base) => (true, base),
                None => (false, text),
            };
            let name = DnsName::parse(base)
                .map_err(|e| refused(ProblemType::RejectedIdentifier, value, format!("{text}: {e}")))?;
            let lower = name.to_string();
            let stored = if wildcard { format!("*.{lower}") } else { lower.clone() };
            let dns = DnsName::parse(&stored)
                .map_err(|e| refused(ProblemType::RejectedIdentifier, value, format!("{text}: {e}")))?;
            Ok(Ordered {
                stored: AcmeIdentifier { kind: "dns".into(), value: stored },
                name: Identifier::Dns(dns),
                authorization: AcmeIdentifier { kind: "dns".into(), value: lower },
                wildcard,
            })
        }
        "ip" => {
            let ip: IpAddr = text
                .parse()
                .map_err(|_| refused(ProblemType::Malformed, value, format!("{text:?} is not an IP address")))?;
            let canonical = AcmeIdentifier { kind: "ip".into(), value: ip.to_string() };
            Ok(Ordered {
                stored: canonical.clone(),
                name: Identifier::Ip(ip),
                authorization: canonical,
                wildcard: false,
            })
        }
        other => Err(refused(
            ProblemType::UnsupportedIdentifier,
            value,
            format!("identifier type {other:?} is not supported; use dns or ip"),
        )),
    }
}

/// Reads a newOrder's `identifiers`: duplicates dropped; every refusal reported at once, as
/// subproblems of one problem.
pub fn read_all(value: Option<&Value>) -> Result<Vec<Ordered>, AcmeProblem> {
    let list = value.and_then(Value::as_array).filter(|l| !l.is_empty()).ok_or_else(|| {
        AcmeProblem::malformed("a new order needs \"identifiers\": [{\"type\": \"dns\", \"value\": ...}]")
    })?;
    if list.len() > MAX_IDENTIFIERS {
        return Err(AcmeProblem::new(
            ProblemType::RejectedIdentifier,
            format!("an order may hold at most {MAX_IDENTIFIERS} identifiers"),
        ));
    }
    let mut ordered: Vec<Ordered> = Vec::with_capacity(list.len());
    let mut problems = Vec::new();
    for value in list {
        match read(value) {
            Ok(identifier) if ordered.iter().any(|o| o.stored == identifier.stored) => {}
            Ok(identifier) => ordered.push(identifier),
            Err(problem) => problems.push(problem),
        }
    }
    compound(problems, "an identifier of the order is refused")?;
    Ok(ordered)
}

/// One problem for `problems`: the subproblem's own type when there is one, else `compound`.
pub fn compound(problems: Vec<Subproblem>, summary: &str) -> Result<(), AcmeProblem> {
    let Some(first) = problems.first() else { return Ok(()) };
    let kind = if problems.iter().all(|p| p.kind == first.kind) {
        [
            ProblemType::RejectedIdentifier,
            ProblemType::UnsupportedIdentifier,
            ProblemType::Malformed,
            ProblemType::Caa,
            ProblemType::BadCsr,
        ]
        .into_iter()
        .find(|k| k.urn() == first.kind)
        .unwrap_or(ProblemType::Compound)
    } else {
        ProblemType::Compound
    };
    let detail = if problems.len() == 1 { first.detail.clone() } else { format!("{summary} (see subproblems)") };
    Err(AcmeProblem::new(kind, detail).with_subproblems(problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_read_strictly() {
        let ordered = read_all(Some(&json!([
            {"type": "dns", "value": "WWW.Example.com"},
            {"type": "dns", "value": "*.example.com"},
            {"type": "ip", "value": "2001:db8:0::1"},
            {"type": "dns", "value": "www.example.com"},
        ])))
        .unwrap();
        let stored: Vec<&str> = ordered.iter().map(|o| o.stored.value.as_str()).collect();
        assert_eq!(stored, ["www.example.com", "*.example.com", "2001:db8::1"]);
        assert!(ordered[1].wildcard && ordered[1].authorization.value == "example.com");
        let e = read_all(Some(&json!([{"type": "dns", "value": "10.0.0.1"}, {"type": "email", "value": "a@b"}])))
            .unwrap_err();
        assert_eq!(e.kind, ProblemType::Compound);
        assert_eq!(e.subproblems.len(), 2);
        assert_eq!(e.subproblems[1].kind, ProblemType::UnsupportedIdentifier.urn());
        let e = read_all(Some(&json!([{"type": "dns", "value": "bad..name"}]))).unwrap_err();
        assert_eq!(e.kind, ProblemType::RejectedIdentifier);
        assert_eq!(read_all(Some(&json!([]))).unwrap_err().kind, ProblemType::Malformed);
    }
}
