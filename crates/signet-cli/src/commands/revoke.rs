//! `signet revoke` and `signet unrevoke`: revocation through a signet server's API.

use reqwest::RequestBuilder;
use serde_json::Value;
use signet_model::Serial;

use crate::cli::{RevokeArgs, UnrevokeArgs};
use crate::commands::client::{Connection, connect, read_token};
use crate::error::{CliError, CliResult};
use crate::{data, output};

/// A revocation in words: `keyCompromise at 2026-11-24T10:00:00Z by alice`.
pub fn describe_revocation(revocation: &Value) -> String {
    let get = |k: &str| revocation.get(k).and_then(Value::as_str).unwrap_or("");
    let mut text = format!("{} at {} by {}", get("reason"), get("revoked_at"), get("revoked_by"));
    if let Some(date) = revocation.get("invalidity_date").and_then(Value::as_str) {
        text.push_str(&format!(" (invalid since {date})"));
    }
    text
}

/// Prints a certificate status answer.
fn show(value: &Value) {
    let get = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or("");
    say!("Certificate {} of CA {}: {}", output::colons(get("serial")), get("ca"), get("status").to_uppercase());
    output::field("subject", get("subject"));
    output::field("valid until", get("not_after"));
    if let Some(revocation) = value.get("revocation") {
        output::field("revoked", describe_revocation(revocation));
        if revocation.get("reason").and_then(Value::as_str) == Some("certificateHold") {
            say!("On hold: a Certificate Manager can release it with `signet unrevoke {}`.", get("serial"));
        }
    }
}

fn serial(text: &str) -> CliResult<Serial> {
    Serial::parse_hex(text).map_err(|e| CliError::bad_input(format!("SERIAL: {e}")))
}

/// The serial named by SERIAL or read from the `--cert` file (its first certificate).
fn serial_of(text: Option<&str>, cert: Option<&str>) -> CliResult<Option<Serial>> {
    if let Some(path) = cert {
        let certificates = crate::pki::load_certificates(path, None)?;
        let first = certificates.first().ok_or_else(|| CliError::bad_input(format!("{path} holds no certificate")))?;
        let info = signet_codec::describe::certificate(first, signet_model::Clock::now(&signet_model::SystemClock))
            .map_err(|e| CliError::bad_input(format!("{path}: {e}")))?;
        return Serial::parse_hex(&info.serial)
            .map(Some)
            .map_err(|e| CliError::bad_input(format!("{path}: its serial {}: {e}", info.serial)));
    }
    text.map(serial).transpose()
}

/// The CA that issued `serial`: `--ca`, else the one CA the server knows a certificate with it.
async fn issuing_ca(
    conn: &Connection,
    auth: impl Fn(RequestBuilder) -> CliResult<RequestBuilder>,
    ca: Option<&str>,
    serial: &Serial,
) -> CliResult<String> {
    if let Some(ca) = ca {
        return Ok(ca.to_string());
    }
    let url = conn.url(&format!("/api/v1/certificates?serial={}", serial.to_hex()));
    let found = conn.json(auth(conn.client.get(url))?).await?;
    let cas: Vec<&str> =
        found.as_array().into_iter().flatten().filter_map(|c| c.get("ca").and_then(Value::as_str)).collect();
    match cas.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(CliError::bad_input(format!(
            "the server has no certificate with serial {serial} that you may act on; check the serial (signet inspect CERT shows it)"
        ))),
        many => {
            Err(CliError::bad_input(format!("serial {serial} exists under CAs {}: give --ca NAME", many.join(", "))))
        }
    }
}

/// Runs `signet revoke`.
pub fn revoke(args: &RevokeArgs) -> CliResult {
    let serial = serial_of(args.serial.as_deref(), args.cert.as_deref())?;
    let invalidity_date = args
        .invalidity_date
        .as_deref()
        .map(|text| {
            signet_model::time_text::parse(text).map_err(|_| {
                CliError::bad_input(format!(
                    "--invalidity-date {text:?} is not a time: give an RFC 3339 time like 2026-11-20T08:00:00Z, or a date like 2026-11-20 (midnight UTC)"
                ))
            })
        })
        .transpose()?;
    let retrieval = args.retrieval_token_file.as_deref().map(read_token).transpose()?;
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, retrieval.is_none())?;
        let auth = |builder: RequestBuilder| -> CliResult<RequestBuilder> {
            Ok(match &retrieval {
                Some(token) => builder.header("x-signet-retrieval-token", token),
                None => conn.authorised(builder),
            })
        };
        let path = match (&args.request, &serial) {
            (Some(id), _) => format!("/api/v1/requests/{id}/revoke"),
            (None, Some(serial)) => {
                let ca = issuing_ca(&conn, auth, args.ca.as_deref(), serial).await?;
                format!("/api/v1/certificates/{ca}/{}/revoke", serial.to_hex())
            }
            (None, None) => return Err(CliError::bad_input("give the SERIAL to revoke, --cert FILE or --request ID")),
        };
        let body = match invalidity_date {
            Some(date) => serde_json::json!({
                "reason": args.reason.as_str(),
                "invalidity_date": signet_codec::describe::rfc3339(date),
            }),
            None => serde_json::json!({"reason": args.reason.as_str()}),
        };
        let answer = conn.json(auth(conn.client.post(conn.url(&path)).json(&body))?).await?;
        if args.json {
            return output::json(&answer);
        }
        show(&answer);
        say!("OCSP answers show it within seconds, CRLs within [crl] publish_after_revocation_seconds (60 s unless configured): `signet crl get` then fetches it.");
        Ok(())
    })
}

/// Runs `signet unrevoke`.
pub fn unrevoke(args: &UnrevokeArgs) -> CliResult {
    let serial = serial_of(args.serial.as_deref(), args.cert.as_deref())?;
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let auth = |builder: RequestBuilder| -> CliResult<RequestBuilder> { Ok(conn.authorised(builder)) };
        let path = match (&args.request, &serial) {
            (Some(id), _) => format!("/api/v1/requests/{id}/unrevoke"),
            (None, Some(serial)) => {
                let ca = issuing_ca(&conn, auth, args.ca.as_deref(), serial).await?;
                format!("/api/v1/certificates/{ca}/{}/unrevoke", serial.to_hex())
            }
            (None, None) => return Err(CliError::bad_input("give the SERIAL to release, --cert FILE or --request ID")),
        };
        let url = conn.url(&path);
        let answer = conn.json(conn.authorised(conn.client.post(url))).await?;
        if args.json {
            return output::json(&answer);
        }
        show(&answer);
        Ok(())
    })
}
