//! Client commands talking to a signet server: request submit/status/get, queue, search.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use reqwest::{Client, RequestBuilder};
use serde_json::Value;

use crate::cli::{
    DownloadFormat, QueueApproveArgs, QueueDenyArgs, QueueListArgs, RequestGetArgs, RequestRef, RequestStatusArgs,
    RequestSubmitArgs, SearchArgs, ServerArgs,
};
use crate::error::{CliError, CliResult};
use crate::files::{Mode, absolute, write_atomic};
use crate::{data, locate, output, pki};

pub(crate) struct Connection {
    base: String,
    /// Where `base` came from, for messages.
    base_origin: String,
    token: Option<String>,
    /// The admin token file, when that is the token in use (it holds CA Administrator only).
    admin_token: Option<PathBuf>,
    pub(crate) client: Client,
    /// The signet roots trusted for the server's HTTPS certificate, if any.
    roots_file: Option<PathBuf>,
}

/// Environment variable holding a token itself (rather than a file).
const TOKEN_ENV: &str = "SIGNET_TOKEN";

pub(crate) fn connect(args: &ServerArgs, token_required: bool) -> CliResult<Connection> {
    let located = locate::find(args.data.as_deref());
    if let Err(not_found) = &located
        && not_found.explicit.is_some()
    {
        return Err(not_found.error());
    }
    let (base, base_origin) = match (&args.server, &located) {
        (Some(url), _) => (url.trim_end_matches('/').to_string(), "--server or $SIGNET_SERVER".to_string()),
        (None, Ok(found)) => {
            let settings = data::settings(&found.dir)?;
            (server_url(settings.listen), format!("listen in {}", absolute(&data::config_path(&found.dir))))
        }
        (None, Err(not_found)) => {
            return Err(CliError::bad_input(format!(
                "no server to talk to: give --server URL (or $SIGNET_SERVER), or --data DIR of the CA, whose signet.toml says where it listens; looked for a data directory at {}",
                not_found.looked.join(", ")
            )));
        }
    };
    let mut admin_token = None;
    let token = match (&args.token_file, std::env::var(TOKEN_ENV)) {
        (Some(path), _) => Some(read_token(path)?),
        (None, Ok(t)) => Some(t.trim().to_string()),
        (None, Err(_)) => match &located {
            Ok(found) => {
                let default = data::admin_token_path(&found.dir);
                if default.exists() {
                    admin_token = Some(default.clone());
                    Some(read_token(&default)?)
                } else {
                    None
                }
            }
            Err(_) => None,
        },
    };
    if token_required && token.is_none() {
        let admin = match &located {
            Ok(found) => format!("{} (no such file)", absolute(&data::admin_token_path(&found.dir))),
            Err(not_found) => {
                format!("the admin token of a data directory (none found at {})", not_found.looked.join(", "))
            }
        };
        return Err(CliError::bad_input(format!(
            "no API token; looked at --token-file and $SIGNET_TOKEN_FILE (not given), ${TOKEN_ENV} (not set), {admin}. Give --token-file FILE with a token from `signet token create`"
        )));
    }
    let data_roots = located.as_ref().ok().map(|found| crate::commands::ca::roots_path(&found.dir));
    let trust = crate::trust::client(args.ca_bundle.as_deref(), data_roots.as_deref())?;
    let client = Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .use_preconfigured_tls(trust.config)
        .build()
        .map_err(|e| CliError::runtime(format!("cannot make an HTTP client: {e}")))?;
    Ok(Connection { base, base_origin, token, admin_token, client, roots_file: trust.roots_file })
}

/// The URL clients use for a server listening on `listen`: a wildcard address is reached over
/// loopback.
fn server_url(listen: SocketAddr) -> String {
    let host = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("https://{}", SocketAddr::new(host, listen.port()))
}

pub(crate) fn read_token(path: &std::path::Path) -> CliResult<String> {
    let bytes = crate::files::read_secret(path).map_err(|e| e.context("the token file"))?;
    std::str::from_utf8(&bytes)
        .map(|t| t.trim().to_string())
        .map_err(|_| CliError::bad_input(format!("the token file {} is not UTF-8 text", path.display())))
}

impl Connection {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(crate) fn authorised(&self, builder: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    pub(crate) async fn send(&self, builder: RequestBuilder) -> CliResult<reqwest::Response> {
        let request = builder
            .build()
            .map_err(|e| CliError::bad_input(format!("cannot make the request: {}", error_chain(&e))))?;
        // A URL the user gave (`crl get --url`) may name another server: errors name it.
        let url = request.url().to_string();
        if !url.starts_with(&format!("{}/", self.base)) {
            return self.send_elsewhere(request, &url).await;
        }
        let response = self.client.execute(request).await.map_err(|e| {
            if crate::trust::is_untrusted(&e) {
                let trusted = match &self.roots_file {
                    Some(file) => format!("the roots in {} and the system's", absolute(file)),
                    None => "the system's roots only (no roots.pem in a data directory)".into(),
                };
                CliError::runtime(format!(
                    "the HTTPS certificate of {} is not trusted ({trusted}): give --ca-bundle ROOTS.pem, the roots.pem `signet serve` prints at start",
                    self.base
                ))
            } else if e.is_connect() {
                CliError::runtime(format!(
                    "cannot reach the signet server at {} (from {}): is `signet serve` running? (--server URL)",
                    self.base, self.base_origin
                ))
            } else {
                CliError::runtime(format!("request to {} failed: {e}", self.base))
            }
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| body.chars().take(300).collect());
        let mut message = format!("server said {}: {detail}", status.as_u16());
        if status == reqwest::StatusCode::FORBIDDEN
            && let Some(admin) = &self.admin_token
        {
            message.push_str(&format!(
                ". The admin token ({}) holds CA Administrator only: create a token with the role needed, e.g. `signet token create --name manager --role certificate-manager --out manager.token`, and give --token-file manager.token",
                admin.display()
            ));
        }
        Err(if status.is_server_error() { CliError::runtime(message) } else { CliError::bad_input(message) })
    }

    /// `send` for a URL away from the signet server: what fails is said of that URL.
    async fn send_elsewhere(&self, request: reqwest::Request, url: &str) -> CliResult<reqwest::Response> {
        let response = self.client.execute(request).await.map_err(|e| {
            if crate::trust::is_untrusted(&e) {
                CliError::runtime(format!(
                    "the HTTPS certificate of {url} is not trusted: give --ca-bundle ROOTS.pem with its root (CRLs are usually on plain http://)"
                ))
            } else if e.is_connect() || e.is_timeout() {
                CliError::runtime(format!("cannot reach {url}: {}; check the URL", error_chain(&e)))
            } else {
                CliError::runtime(format!("request to {url} failed: {}", error_chain(&e)))
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v.get("detail").and_then(Value::as_str).map(|d| format!(": {d}")))
            .unwrap_or_default();
        let message = format!("{url} answered {status}{detail}; check the URL");
        Err(if status.is_server_error() { CliError::runtime(message) } else { CliError::bad_input(message) })
    }

    pub(crate) async fn json(&self, builder: RequestBuilder) -> CliResult<Value> {
        self.send(builder)
            .await?
            .json()
            .await
            .map_err(|e| CliError::runtime(format!("the server's answer is not JSON: {e}")))
    }
}

/// What went wrong at the bottom of an HTTP client error (`Connection refused (os error 111)`,
/// `dns error: ...`), rather than reqwest's `error sending request for url (...)`.
fn error_chain(error: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = error;
    while let Some(cause) = deepest.source() {
        deepest = cause;
    }
    deepest.to_string()
}

fn show_request(value: &Value) {
    let get = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or("");
    let revocation = value.get("certificate").and_then(|c| c.get("revocation"));
    let revoked = match revocation.and_then(|r| r.get("reason")).and_then(Value::as_str) {
        Some("certificateHold") => ", ON HOLD",
        Some(_) => ", REVOKED",
        None => "",
    };
    say!(
        "Request {} ({}): {}{revoked}",
        value.get("id").map(ToString::to_string).unwrap_or_default(),
        get("profile"),
        get("state").to_uppercase()
    );
    output::field("subject", get("subject"));
    let names: Vec<&str> = value
        .get("requested_names")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    output::field("names", names.join(", "));
    output::field("requester", get("requester"));
    if let Some(reason) = value.get("reason").and_then(Value::as_str) {
        output::field("reason", reason);
    }
    if let Some(cert) = value.get("certificate") {
        let c = |k: &str| cert.get(k).and_then(Value::as_str).unwrap_or("");
        output::field("serial", output::colons(c("serial")));
        if let Some(ca) = cert.get("ca").and_then(Value::as_str) {
            output::field("issuing CA", ca);
        }
        output::field("valid until", c("not_after"));
        if let Some(revocation) = cert.get("revocation") {
            output::field("revoked", crate::commands::revoke::describe_revocation(revocation));
        }
        if cert.get("test").and_then(Value::as_bool) == Some(true) {
            output::field("note", "TEST certificate from a FOR TESTING ONLY root: browsers will not trust it");
        }
    }
    for warning in value.get("warnings").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        output::warn(warning);
    }
}

/// Runs `signet request submit`.
pub fn submit(args: &RequestSubmitArgs) -> CliResult {
    let decoded = pki::load(&args.csr)?;
    let csr = decoded
        .single(signet_codec::ObjectKind::CertificateRequest)
        .map_err(|e| CliError::bad_input(format!("{}: {e}", args.csr)))?
        .to_vec();
    if let Some(out) = &args.out
        && out.exists()
    {
        return Err(CliError::bad_input(format!("{} already exists; choose another --out", out.display())));
    }
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let body =
            serde_json::json!({"profile": args.profile, "csr": signet_codec::pem::encode("CERTIFICATE REQUEST", &csr)});
        let answer = conn.json(conn.authorised(conn.client.post(conn.url("/api/v1/requests")).json(&body))).await?;
        if args.json {
            output::json(&answer)?;
        } else {
            show_request(&answer);
            if let Some(token) = answer.get("retrieval_token").and_then(Value::as_str) {
                output::field("retrieval", token);
                say!("Keep the retrieval token: with it you can check and fetch this request from anywhere.");
            }
        }
        let state = answer.get("state").and_then(Value::as_str).unwrap_or("");
        let id = answer.get("id").map(ToString::to_string).unwrap_or_default();
        match (state, &args.out) {
            ("issued", Some(out)) => {
                let url = conn.url(&format!("/api/v1/requests/{id}/certificate?format=pem"));
                let pem = conn
                    .send(conn.authorised(conn.client.get(url)))
                    .await?
                    .bytes()
                    .await
                    .map_err(|e| CliError::runtime(e.to_string()))?;
                write_atomic(out, &pem, Mode::Public, false)?;
                if !args.json {
                    say!("Certificate and chain written to {}", absolute(out));
                }
            }
            ("pending", _) if !args.json => {
                say!("Waiting for a Certificate Manager. Check with: signet request status {id}");
            }
            _ => {}
        }
        Ok(())
    })
}

fn reference(conn: &Connection, request: &RequestRef, builder: RequestBuilder) -> CliResult<RequestBuilder> {
    Ok(match &request.retrieval_token_file {
        Some(path) => builder.header("x-signet-retrieval-token", read_token(path)?),
        None => conn.authorised(builder),
    })
}

/// Runs `signet request status`.
pub fn status(args: &RequestStatusArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let conn = connect(&args.request.server, args.request.retrieval_token_file.is_none())?;
        let builder = conn.client.get(conn.url(&format!("/api/v1/requests/{}", args.request.id)));
        let answer = conn.json(reference(&conn, &args.request, builder)?).await?;
        if args.json {
            output::json(&answer)
        } else {
            show_request(&answer);
            Ok(())
        }
    })
}

/// Runs `signet request get`.
pub fn get(args: &RequestGetArgs) -> CliResult {
    crate::key_files::refuse_replacing_key(&args.out, "--out")?;
    if !args.force && args.out.exists() {
        return Err(CliError::bad_input(format!(
            "{} already exists; choose another --out or add --force",
            args.out.display()
        )));
    }
    let format = match args.format {
        DownloadFormat::Pem => "pem",
        DownloadFormat::Der => "der",
        DownloadFormat::P7b => "p7b",
    };
    data::runtime()?.block_on(async {
        let conn = connect(&args.request.server, args.request.retrieval_token_file.is_none())?;
        let url = conn.url(&format!("/api/v1/requests/{}/certificate?format={format}", args.request.id));
        let bytes = conn
            .send(reference(&conn, &args.request, conn.client.get(url))?)
            .await?
            .bytes()
            .await
            .map_err(|e| CliError::runtime(e.to_string()))?;
        write_atomic(&args.out, &bytes, Mode::Public, args.force)?;
        say!("Certificate{} written to {}", if format == "der" { "" } else { " and chain" }, absolute(&args.out));
        // A revoked certificate is still handed out (an auditor may want it), never silently.
        let status = conn.url(&format!("/api/v1/requests/{}", args.request.id));
        if let Ok(request) = conn.json(reference(&conn, &args.request, conn.client.get(status))?).await
            && let Some(revocation) = request.get("certificate").and_then(|c| c.get("revocation"))
        {
            let described = crate::commands::revoke::describe_revocation(revocation);
            output::warn(&if revocation.get("reason").and_then(Value::as_str) == Some("certificateHold") {
                format!("this certificate is on hold ({described}): relying parties refuse it until a Certificate Manager releases it (signet unrevoke)")
            } else {
                format!("this certificate is revoked ({described}): do not deploy it; submit a new request for a replacement")
            });
        }
        Ok(())
    })
}

/// Runs `signet queue list`.
pub fn queue_list(args: &QueueListArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let answer = conn.json(conn.authorised(conn.client.get(conn.url("/api/v1/queue")))).await?;
        if args.json {
            return output::json(&answer);
        }
        let items = answer.as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            say!("No pending requests.");
        }
        for item in &items {
            show_request(item);
        }
        Ok(())
    })
}

/// Runs `signet queue approve`.
pub fn approve(args: &QueueApproveArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let body = if args.names.is_empty() { serde_json::json!({}) } else { serde_json::json!({"names": args.names}) };
        let url = conn.url(&format!("/api/v1/requests/{}/approve", args.id));
        let answer = conn.json(conn.authorised(conn.client.post(url).json(&body))).await?;
        show_request(&answer);
        Ok(())
    })
}

/// Runs `signet queue deny`.
pub fn deny(args: &QueueDenyArgs) -> CliResult {
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let url = conn.url(&format!("/api/v1/requests/{}/deny", args.id));
        let answer =
            conn.json(conn.authorised(conn.client.post(url).json(&serde_json::json!({"reason": args.reason})))).await?;
        show_request(&answer);
        Ok(())
    })
}

/// Runs `signet search`.
pub fn search(args: &SearchArgs) -> CliResult {
    let mut params: Vec<(&str, &str)> = Vec::new();
    let fields = [
        ("request_id", &args.request_id),
        ("serial", &args.serial),
        ("name", &args.name),
        ("state", &args.state),
        ("requester", &args.requester),
        ("fingerprint", &args.fingerprint),
        ("expires_after", &args.expires_after),
        ("expires_before", &args.expires_before),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            params.push((key, v.as_str()));
        }
    }
    let limit = args.limit.map(|n| n.to_string());
    if let Some(limit) = &limit {
        params.push(("limit", limit));
    }
    if args.revoked || args.reason.is_some() {
        params.push(("revoked", "true"));
    }
    if args.not_revoked {
        params.push(("revoked", "false"));
    }
    if let Some(reason) = &args.reason {
        params.push(("reason", reason.as_str()));
    }
    data::runtime()?.block_on(async {
        let conn = connect(&args.server, true)?;
        let answer = conn.json(conn.authorised(conn.client.get(conn.url("/api/v1/search")).query(&params))).await?;
        if args.json {
            return output::json(&answer);
        }
        let items = answer.as_array().cloned().unwrap_or_default();
        say!("{} result(s)", items.len());
        for item in &items {
            show_request(item);
        }
        Ok(())
    })
}
