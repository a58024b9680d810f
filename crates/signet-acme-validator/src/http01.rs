//! http-01 (RFC 8555 §8.3): `GET http://NAME:PORT/.well-known/acme-challenge/TOKEN` must answer
//! 200 with the key authorization (surrounding whitespace allowed). A plain HTTP/1.1 exchange of
//! our own, bounded in time and size; redirects are not followed; the body is never echoed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Challenge, Target, ValidationError};

/// Most bytes read of an answer (head and body).
const MAX_ANSWER: usize = 16 * 1024;

/// Tries each allowed address in turn; the first that answers decides.
pub(crate) async fn check(
    addresses: &[IpAddr],
    port: u16,
    challenge: &Challenge,
    timeout: Duration,
) -> Result<(), ValidationError> {
    let attempt = |address| fetch(address, challenge);
    crate::first_answer(addresses, port, timeout, "no answer", attempt, |answer, address| {
        judge(answer, challenge, address)
    })
    .await
}

async fn fetch(address: SocketAddr, challenge: &Challenge) -> Result<Vec<u8>, ValidationError> {
    let mut stream = TcpStream::connect(address).await.map_err(|e| {
        ValidationError::Connection(format!(
            "http-01: cannot connect to {address}: {e} (nothing answers HTTP there for the name)"
        ))
    })?;
    let connection =
        |e: std::io::Error| ValidationError::Connection(format!("http-01: the connection to {address} failed: {e}"));
    let host = match &challenge.target {
        Target::Dns(name) => name.clone(),
        Target::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
        Target::Ip(ip) => ip.to_string(),
    };
    let request = format!(
        "GET /.well-known/acme-challenge/{} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: signet-acme-validator\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        challenge.token
    );
    stream.write_all(request.as_bytes()).await.map_err(connection)?;
    let mut answer = Vec::new();
    let mut limited = (&mut stream).take(MAX_ANSWER as u64 + 1);
    limited.read_to_end(&mut answer).await.map_err(connection)?;
    if answer.len() > MAX_ANSWER {
        return Err(ValidationError::IncorrectResponse(format!(
            "{address}: the answer is larger than {MAX_ANSWER} bytes"
        )));
    }
    Ok(answer)
}

/// Whether an HTTP answer is 200 with the key authorization as its body.
fn judge(answer: &[u8], challenge: &Challenge, address: SocketAddr) -> Result<(), ValidationError> {
    let wrong = |why: String| ValidationError::IncorrectResponse(format!("{address}: {why}"));
    let split =
        answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| wrong("the answer is not HTTP".into()))?;
    let (head, rest) = answer.split_at(split);
    let body = rest.get(4..).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).unwrap_or("");
    if status != "200" {
        return Err(wrong(format!("answered HTTP status {status}, not 200")));
    }
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let body =
        if chunked { dechunk(body).ok_or_else(|| wrong("a malformed chunked body".into()))? } else { body.to_vec() };
    let text = String::from_utf8_lossy(&body);
    if text.trim() == challenge.key_authorization {
        Ok(())
    } else {
        Err(wrong(format!("the body is not the key authorization for token {}", challenge.token)))
    }
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(data.get(..end)?).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        if size == 0 {
            return Some(out);
        }
        let start = end + 2;
        out.extend_from_slice(data.get(start..start + size)?);
        data = data.get(start + size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_is_named_with_the_challenge() {
        // A port just released: nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let at = SocketAddr::from(([127, 0, 0, 1], port));
        let e = fetch(at, &challenge()).await.unwrap_err();
        assert!(
            matches!(&e, ValidationError::Connection(m) if m.starts_with(&format!("http-01: cannot connect to {at}: "))),
            "{e}"
        );
    }
    use crate::ChallengeKind;

    fn challenge() -> Challenge {
        Challenge {
            kind: ChallengeKind::Http01,
            target: Target::Dns("www.example.com".into()),
            token: "tok".into(),
            key_authorization: "tok.thumb".into(),
        }
    }

    #[test]
    fn answers_are_judged_without_echoing_them() {
        let at: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert!(judge(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\ntok.thumb\n", &challenge(), at).is_ok());
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ntok.t\r\n4\r\nhumb\r\n0\r\n\r\n";
        assert!(judge(chunked, &challenge(), at).is_ok());
        let e = judge(b"HTTP/1.1 200 OK\r\n\r\nsecret internal page", &challenge(), at).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(
            matches!(judge(b"HTTP/1.1 404 Not Found\r\n\r\n", &challenge(), at), Err(ValidationError::IncorrectResponse(m)) if m.contains("404"))
        );
        assert!(judge(b"garbage", &challenge(), at).is_err());
    }
}
