//! `signet serve` under slow and hostile clients: a flood of connections that never send a
//! byte (half-open), stop in the middle of the TLS handshake, or send their request a byte at a
//! time (slowloris) does not keep `/healthz` or an issuance from being answered; slow handshakes,
//! slow heads, slow bodies and idle kept-alive connections are cut off; oversized heads get 431.
//! Counts are small and the server's limits lowered to match, so the test takes seconds; nothing
//! asserts on how long anything took.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::server::{Backend, Server, TlsStream, make_csr};
use crate::support::Sandbox;

/// The limits the server runs with here.
const MAX_CONNECTIONS: usize = 32;
const FLOOD: usize = 320;
const MAX_HEADER_BYTES: usize = 4096;

/// Starts a server, then restarts it with lowered `[server]` limits.
fn limited_server(sb: &Sandbox) -> Server {
    let mut server = Server::start(sb, Backend::Sqlite);
    server.stop();
    let config = server.data.join("signet.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let mut edited = text.clone();
    for (key, value) in [
        ("max_connections", MAX_CONNECTIONS.to_string()),
        ("max_header_bytes", MAX_HEADER_BYTES.to_string()),
        ("header_read_timeout_secs", "2".into()),
        ("body_read_timeout_secs", "2".into()),
        ("keep_alive_timeout_secs", "1".into()),
    ] {
        let line = text.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap();
        edited = edited.replace(line, &format!("{key} = {value}"));
    }
    std::fs::write(&config, edited).unwrap();
    server.restart();
    server
}

/// A TCP connection to the HTTPS port, nothing sent yet.
fn connect_tcp(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // A bound on every read, so a server that never cuts a client off fails the test, not hangs it.
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream
}

/// A TLS connection to the API, its handshake done.
fn connect(server: &Server) -> TlsStream {
    let mut stream = server.endpoint().connect().unwrap();
    stream.sock.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    while stream.conn.is_handshaking() {
        match stream.conn.complete_io(&mut stream.sock) {
            Ok(_) => {}
            // A read with a timeout is not restarted after SIGSTOP/SIGCONT (signal(7)): go on.
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("TLS handshake: {e}"),
        }
    }
    stream
}

/// Reads until the server closes the connection; what it sent before closing.
fn read_until_closed(stream: &mut impl Read) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A peer closing without TLS close_notify, or resetting, has closed (rustls may meet the
            // closed socket writing its own alert first: a broken pipe).
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof | ErrorKind::BrokenPipe
                ) =>
            {
                return received;
            }
            Err(e) => panic!("the server did not close the connection: {e}"),
        }
    }
}

/// A flooding connection: silent, stopped mid-handshake, or stopped mid-head.
enum Flood {
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
}

#[test]
fn floods_and_slow_clients_do_not_starve_other_clients() {
    let sb = Sandbox::new();
    let server = limited_server(&sb);
    let admin = server.admin_token();
    let csr = make_csr(&sb, "www", "ec-p256", "www.example.com", &[]);

    // Ten times as many connections as the server takes at once: a third never send a byte, a
    // third send the start of a TLS ClientHello and stop, a third complete the handshake, send
    // the start of a request head and stop. All are held open by this side.
    let mut flood: Vec<Flood> = (0..FLOOD)
        .map(|i| match i % 3 {
            0 => Flood::Tcp(connect_tcp(server.port)),
            1 => {
                let mut stream = connect_tcp(server.port);
                stream.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]).unwrap();
                Flood::Tcp(stream)
            }
            _ => {
                let mut stream = connect(&server);
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
                stream.flush().unwrap();
                Flood::Tls(Box::new(stream))
            }
        })
        .collect();

    // Other clients are answered while the flood is held open.
    let health = server.request("GET", "/healthz", None, &[], b"");
    assert_eq!(health.status, 200, "{}", health.text());
    let issued = server.submit(&admin, "test", &csr);
    assert_eq!(issued.status, 201, "{}", issued.text());
    assert_eq!(issued.json()["state"], "issued");

    // The slow clients below each wait out a timeout of the server; they run side by side.
    std::thread::scope(|scope| {
        // Every flooding connection is closed by the server, never answered.
        scope.spawn(|| {
            for stream in &mut flood {
                let answer = match stream {
                    Flood::Tcp(tcp) => read_until_closed(tcp),
                    Flood::Tls(tls) => read_until_closed(tls.as_mut()),
                };
                assert!(answer.is_empty(), "an unfinished request got an answer: {}", String::from_utf8_lossy(&answer));
            }
        });
        // A slowloris sending its head a byte at a time is cut off before it completes it.
        scope.spawn(|| {
            let mut slow = connect(&server);
            let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
            let started = Instant::now();
            for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                if slow.write_all(&[*byte]).and_then(|()| slow.flush()).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
                // A bound, not a measurement: the server's header timeout is 2 s.
                assert!(started.elapsed() < Duration::from_secs(60), "a byte-at-a-time client was never cut off");
            }
            assert!(read_until_closed(&mut slow).is_empty());
        });
        // A body that does not arrive: 408 with a problem document, and the connection closed.
        scope.spawn(|| {
            let mut stalled = connect(&server);
            let head = format!(
                "POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"profile\":"
            );
            stalled.write_all(head.as_bytes()).unwrap();
            stalled.flush().unwrap();
            let answer = String::from_utf8_lossy(&read_until_closed(&mut stalled)).into_owned();
            assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
            assert!(answer.contains("application/problem+json") && answer.contains("request-timeout"), "{answer}");
        });
        // A kept-alive connection is answered, then closed once idle.
        scope.spawn(|| {
            let mut kept = connect(&server);
            kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            kept.flush().unwrap();
            let answer = String::from_utf8_lossy(&read_until_closed(&mut kept)).into_owned();
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert_eq!(answer.matches("HTTP/1.1").count(), 1);
        });
    });

    // Heads above the limit: a problem document; far above it, hyper's own bare 431.
    let big = "a".repeat(MAX_HEADER_BYTES);
    let refused = server.request("GET", "/healthz", None, &[("x-padding", &big)], b"");
    assert_eq!(refused.status, 431);
    assert_eq!(refused.header("content-type"), Some("application/problem+json"));
    assert!(refused.json()["detail"].as_str().unwrap().contains("server.max_header_bytes"));
    let mut absurd = connect(&server);
    let huge =
        format!("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: {}\r\n\r\n", "a".repeat(4 * MAX_HEADER_BYTES));
    // The server stops reading at its hard limit and closes, so the rest may not be written.
    let _ = absurd.write_all(huge.as_bytes()).and_then(|()| absurd.flush());
    let answer = String::from_utf8_lossy(&read_until_closed(&mut absurd)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    let many: Vec<(String, &str)> = (0..150).map(|i| (format!("x-field-{i}"), "1")).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let refused = server.request("GET", "/healthz", None, &many, b"");
    assert_eq!(refused.status, 431);
    assert!(refused.json()["detail"].as_str().unwrap().contains("header fields; at most 100"));

    // Still healthy, and nothing panicked.
    assert_eq!(server.request("GET", "/healthz", None, &[], b"").status, 200);
    let log = sb.read_text("serve.log");
    assert!(!log.contains("panicked"), "{log}");
}
