//! In-process concurrent ACME load client for `bench/acme.sh`.
//!
//! Each of `-c` streams registers its own account (EC P-256 key) over its own HTTPS connection
//! pool and runs one warm-up order; then all streams start together and each runs its share of
//! `-n` orders: new order -> authorization -> challenge ready -> poll the order until ready ->
//! finalize (a fresh EC P-256 key and CSR per order) -> poll until valid -> download. The
//! latency of every whole order is recorded and one JSON line is printed:
//! orders_ok, errors, seconds, certs_per_s, p50/p90/p99/max ms and the client's own CPU per
//! certificate. The server must validate challenges on its own ("always valid" mode).
//!
//! ```text
//! acme-load --dir https://127.0.0.1:9443/acme/directory --ca roots.pem -n 200 -c 16
//! ```
//!
//! Polls wait `--poll-ms` (default 5) between requests and ignore `Retry-After`, as the
//! benchmark measures the server's capacity, not a polite client. Loopback targets only.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use instant_acme::{
    Account, AuthorizationStatus, BodyWrapper, ChallengeType, HttpClient, Identifier, NewAccount, NewOrder, Order,
    OrderStatus,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::sync::Barrier;

const USAGE: &str = "usage: acme-load --dir URL --ca PEM [-n ORDERS] [-c STREAMS] [--poll-ms MS] [--deadline-s S]
  --dir URL        the ACME directory, https on a loopback address (127.x, ::1, localhost)
  --ca PEM         the roots that signed the server's HTTPS certificate (the only ones trusted)
  -n ORDERS        orders in total, shared out between the streams (default 200)
  -c STREAMS       concurrent streams, one account each (default 16)
  --poll-ms MS     wait between polls of a pending or processing order (default 5)
  --deadline-s S   give up on one order after S seconds (default 20)
ACME_LOAD_TRACE=1 in the environment prints each step's time within each order to stderr.
example: acme-load --dir https://127.0.0.1:9443/acme/directory --ca roots.pem -n 200 -c 16";

struct Options {
    dir: String,
    ca: String,
    orders: usize,
    streams: usize,
    poll: Duration,
    deadline: Duration,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut ca) = (None, None);
    let mut o = Options {
        dir: String::new(),
        ca: String::new(),
        orders: 200,
        streams: 16,
        poll: Duration::from_millis(5),
        deadline: Duration::from_secs(20),
    };
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{flag} takes a whole number, not {v:?}"));
        match flag.as_str() {
            "--dir" => dir = Some(value),
            "--ca" => ca = Some(value),
            "-n" => o.orders = number(&value)? as usize,
            "-c" => o.streams = number(&value)? as usize,
            "--poll-ms" => o.poll = Duration::from_millis(number(&value)?),
            "--deadline-s" => o.deadline = Duration::from_secs(number(&value)?),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    o.dir = dir.ok_or("--dir is required")?;
    o.ca = ca.ok_or("--ca is required")?;
    if o.streams == 0 || o.orders < o.streams {
        return Err("need -c >= 1 and -n >= -c".into());
    }
    let loopback = ["https://127.", "https://localhost:", "https://localhost/", "https://[::1]"];
    if !loopback.iter().any(|p| o.dir.starts_with(p)) {
        return Err(format!("refusing non-loopback target {}: this is a load generator", o.dir));
    }
    Ok(o)
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat (USER_HZ = 100).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces; the fields after its closing parenthesis are fixed.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An HTTPS client trusting the roots in `ca` only, like instant-acme's own but with
/// TCP_NODELAY: without it a request's body waits for the server's delayed ACK (40 ms on Linux)
/// behind its head, which measures Nagle's algorithm rather than the server.
fn http_client(ca: &str) -> Result<Box<dyn HttpClient>, BoxError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| format!("cannot read --ca {ca}: {e}"))? {
        roots.add(cert.map_err(|e| format!("--ca {ca}: {e}"))?)?;
    }
    if roots.is_empty() {
        return Err(format!("--ca {ca} holds no certificate").into());
    }
    let tls = rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth();
    let mut tcp = HttpConnector::new();
    tcp.set_nodelay(true);
    tcp.enforce_http(false);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .enable_http2()
        .wrap_connector(tcp);
    let client: HyperClient<_, BodyWrapper<Bytes>> = HyperClient::builder(TokioExecutor::new()).build(https);
    Ok(Box::new(client))
}

async fn wait_for(order: &mut Order, want: OrderStatus, poll: Duration, give_up: Instant) -> Result<(), BoxError> {
    loop {
        let state = order.state();
        if state.status == want {
            return Ok(());
        }
        match state.status {
            OrderStatus::Pending | OrderStatus::Processing | OrderStatus::Ready => {}
            other => return Err(format!("order became {other:?}: {:?}", state.error).into()),
        }
        if Instant::now() > give_up {
            return Err(format!("order still {:?} at the deadline", state.status).into());
        }
        tokio::time::sleep(poll).await;
        order.refresh().await?;
    }
}

/// One whole order for `name`, up to the downloaded certificate chain.
async fn one_order(account: &Account, name: String, o: &Options) -> Result<(), BoxError> {
    let give_up = Instant::now() + o.deadline;
    let identifiers = [Identifier::Dns(name)];
    let trace = std::env::var_os("ACME_LOAD_TRACE").is_some();
    let t0 = Instant::now();
    let step = |what: &str| {
        if trace {
            eprintln!("{:>8.1} ms {what}", t0.elapsed().as_secs_f64() * 1000.0);
        }
    };
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    step("new order");
    let mut authorizations = order.authorizations();
    while let Some(authz) = authorizations.next().await {
        let mut authz = authz?;
        match authz.status {
            AuthorizationStatus::Valid => continue,
            AuthorizationStatus::Pending => {}
            other => return Err(format!("authorization is {other:?}").into()),
        }
        let mut challenge = authz.challenge(ChallengeType::Http01).ok_or("no http-01 challenge offered")?;
        step("authorization");
        challenge.set_ready().await?;
        step("challenge");
    }
    // The challenge's answer does not move the order; read it until it is ready.
    order.refresh().await?;
    wait_for(&mut order, OrderStatus::Ready, o.poll, give_up).await?;
    step("order ready");
    // A fresh EC P-256 key and a CSR naming the order's identifiers.
    let _key_pem = order.finalize().await?;
    step("finalize");
    loop {
        if let Some(chain) = order.certificate().await? {
            step("certificate");
            if !chain.contains("BEGIN CERTIFICATE") {
                return Err("the certificate download is not PEM".into());
            }
            return Ok(());
        }
        if Instant::now() > give_up {
            return Err("order still processing at the deadline".into());
        }
        tokio::time::sleep(o.poll).await;
    }
}

struct StreamResult {
    start: Instant,
    end: Instant,
    latencies: Vec<Duration>,
    errors: usize,
}

async fn stream(
    index: usize,
    count: usize,
    run: Arc<String>,
    o: Arc<Options>,
    barrier: Arc<Barrier>,
) -> Result<StreamResult, BoxError> {
    let setup = async {
        let (account, _credentials) = Account::builder_with_http(http_client(&o.ca)?)
            .create(
                &NewAccount { contact: &[], terms_of_service_agreed: true, only_return_existing: false },
                o.dir.clone(),
                None,
            )
            .await?;
        one_order(&account, format!("warm-{run}-{index}.example.com"), &o).await?;
        Ok::<_, BoxError>(account)
    };
    // A server that never answers must not hold the run forever.
    let setup = tokio::time::timeout(o.deadline, setup)
        .await
        .unwrap_or_else(|_| Err(format!("account and warm-up order: no answer within {:?}", o.deadline).into()));
    // Every stream reaches the barrier, even a failed one, so the others are not held forever.
    barrier.wait().await;
    let start = Instant::now();
    let account = match setup {
        Ok(account) => account,
        Err(e) => {
            // Counted, not fatal: the other streams' figures still tell what the server did.
            eprintln!("stream {index}: {e}; its {count} orders count as failed");
            return Ok(StreamResult { start, end: start, latencies: Vec::new(), errors: count });
        }
    };
    let mut latencies = Vec::with_capacity(count);
    let mut errors = 0;
    for i in 0..count {
        let t = Instant::now();
        let name = format!("s{index}-{i}-{run}.example.com");
        // A request the server never answers must not hold the run forever.
        let Ok(done) = tokio::time::timeout(o.deadline, one_order(&account, name, &o)).await else {
            // The server stopped answering: this stream's remaining orders all count as failed.
            eprintln!("stream {index} order {i}: no answer within {:?}; stopping this stream", o.deadline);
            errors += count - i;
            break;
        };
        match done {
            Ok(()) => latencies.push(t.elapsed()),
            Err(e) => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("stream {index} order {i}: {e}");
                }
            }
        }
    }
    Ok(StreamResult { start, end: Instant::now(), latencies, errors })
}

async fn run(o: Options) -> Result<String, BoxError> {
    let o = Arc::new(o);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let run = Arc::new(format!("{:x}", nanos % (1 << 48)));
    let barrier = Arc::new(Barrier::new(o.streams + 1));
    let mut tasks = Vec::with_capacity(o.streams);
    for i in 0..o.streams {
        let count = o.orders / o.streams + usize::from(i < o.orders % o.streams);
        tasks.push(tokio::spawn(stream(i, count, run.clone(), o.clone(), barrier.clone())));
    }
    barrier.wait().await;
    let cpu0 = cpu_seconds();
    let mut results = Vec::with_capacity(tasks.len());
    for t in tasks {
        results.push(t.await??);
    }
    let cpu1 = cpu_seconds();
    let (Some(t0), Some(t1)) = (results.iter().map(|r| r.start).min(), results.iter().map(|r| r.end).max()) else {
        return Err("no stream ran".into());
    };
    let seconds = (t1 - t0).as_secs_f64();
    let mut lat: Vec<f64> = results.iter().flat_map(|r| r.latencies.iter().map(|d| d.as_secs_f64() * 1000.0)).collect();
    lat.sort_by(f64::total_cmp);
    let ok = lat.len();
    let errors: usize = results.iter().map(|r| r.errors).sum();
    let pct = |f: f64| -> serde_json::Value {
        let i = ((f * ok as f64) as usize).min(ok.saturating_sub(1));
        lat.get(i).map(|v| ((v * 10.0).round() / 10.0).into()).unwrap_or(serde_json::Value::Null)
    };
    let line = serde_json::json!({
        "client": "bench/acme-load (instant-acme 0.8, EC P-256)",
        "orders_ok": ok,
        "errors": errors,
        "concurrency": o.streams,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "certs_per_s": ((ok as f64 / seconds) * 100.0).round() / 100.0,
        "p50_ms": pct(0.5),
        "p90_ms": pct(0.9),
        "p99_ms": pct(0.99),
        "max_ms": pct(1.0),
        "client_cpu_ms_per_cert": (((cpu1 - cpu0) * 1000.0 / ok.max(1) as f64) * 100.0).round() / 100.0,
    });
    Ok(line.to_string())
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("acme-load: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("acme-load: cannot start the async runtime: {e}");
            return ExitCode::from(3);
        }
    };
    match rt.block_on(run(o)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("acme-load: {e}");
            ExitCode::from(1)
        }
    }
}
