//! The HTTP/1.1 server under the API: an accept loop that a slow or hostile client cannot starve.
//!
//! axum's own `serve` has no read timeouts and no cap on connections, so a few thousand clients
//! that connect and never finish a request would hold the process's file descriptors forever.
//! Here every connection is counted in a [`table::Table`] of bounded size (below the open-file
//! limit); a connection that waits for a request is closed once it has waited
//! `header_read_timeout` (new) or `keep_alive_timeout` (kept alive), or when the table is full and
//! it has waited longest; request heads are bounded in size by hyper (hard) and by the router
//! (a problem document, [`crate::limits`]); bodies by size and time in the handlers.
//!
//! With TLS ([`crate::ServerTls`]) the handshake runs in the connection's own task, within the
//! same bounds as a request head: it must complete before `header_read_timeout` from admission,
//! and a connection still handshaking counts as waiting, so it is the first to make room.

mod table;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper::service::{Service, service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::limits::{HARD_MAX_HEADERS, Limits};
use crate::tls::ServerTls;
use table::{Slot, Table};

/// How long requests under way may take to finish once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Connections the kernel completes and queues before they are accepted (capped by the system,
/// `net.core.somaxconn`). Tokio's `TcpListener::bind` asks for 128, which a burst of connections
/// overflows while the accept loop is busy for a moment; overflowed clients wait a second or more
/// for their SYN to be sent again.
const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `address` (with `SO_REUSEADDR`, as `TcpListener::bind` does) with a backlog deep
/// enough for bursts of connections.
pub fn listen(address: SocketAddr) -> io::Result<TcpListener> {
    let socket = if address.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves `app` on `listener` within `limits` (over TLS when `tls` is given) until `shutdown`
/// resolves, then lets the requests under way finish (for at most ten seconds) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<ServerTls>,
    shutdown: impl Future<Output = ()>,
) {
    let table = Table::new(limits.max_connections);
    let http = connection_builder(&limits);
    let (stop, stopped) = watch::channel(());
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                accept_failed(&e).await;
                continue;
            }
        };
        let slot = tokio::select! {
            slot = table.admit() => slot,
            () = &mut shutdown => break,
        };
        let connection = Connection { table: table.clone(), slot, limits, stopped: stopped.clone() };
        let (http, app) = (http.clone(), app.clone());
        match &tls {
            None => connections.spawn(connection.run(stream, http, app)),
            Some(tls) => connections.spawn(connection.run_tls(stream, tls.clone(), http, app)),
        };
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop.send(());
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async { while connections.join_next().await.is_some() {} });
    if drained.await.is_err() {
        tracing::warn!("requests still under way after {SHUTDOWN_GRACE:?} of shutdown were cut off");
        connections.abort_all();
    }
}

/// The hard limits, enforced by hyper itself: a head above them gets a bare 431 and the
/// connection is closed. The router answers heads above the configured limit (half of these)
/// with a problem document, so only absurd heads meet these.
fn connection_builder(limits: &Limits) -> http1::Builder {
    let hard_head = limits.max_header_bytes.saturating_mul(2);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(limits.keep_alive_timeout.is_some())
        .max_headers(HARD_MAX_HEADERS)
        .max_header_size(hard_head)
        // hyper refuses buffers below 8 KiB; the head must fit in the buffer.
        .max_buf_size(hard_head.max(8192));
    http
}

/// Accepting can fail for the listener (out of file descriptors: wait for some to close) or for
/// one connection that went away before it was accepted (carry on).
async fn accept_failed(e: &io::Error) {
    match e.kind() {
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused => {
            tracing::debug!(error = %e, "a connection closed before it was accepted");
        }
        _ => {
            tracing::warn!(error = %e, "cannot accept connections; retrying shortly");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One accepted connection and its entry in the table.
struct Connection {
    table: Arc<Table>,
    slot: Arc<Slot>,
    limits: Limits,
    stopped: watch::Receiver<()>,
}

impl Connection {
    /// Completes the TLS handshake within the bounds of a request head, then serves the
    /// connection; a handshake that fails, times out, or is evicted closes it unanswered.
    async fn run_tls(mut self, stream: TcpStream, tls: ServerTls, http: http1::Builder, app: Router) {
        // Leaves the table however the task ends (even by a panic in hyper or a handler).
        let leave = Leave { table: self.table.clone(), slot: self.slot.clone() };
        let handshake = tls.acceptor().accept(stream);
        tokio::pin!(handshake);
        let far = Instant::now() + Duration::from_secs(3600);
        let deadline = Table::deadline(&self.slot, self.limits.header_read_timeout, self.limits.keep_alive_timeout);
        let stream = tokio::select! {
            done = &mut handshake => match done {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
            },
            () = self.slot.evicted() => return,
            _ = self.stopped.changed() => {
                self.table.retire(&self.slot);
                return;
            }
            () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                tracing::debug!("closing a connection whose TLS handshake did not complete in time");
                self.table.retire(&self.slot);
                return;
            }
        };
        self.serve(stream, http, app, leave).await;
    }

    async fn run(self, stream: TcpStream, http: http1::Builder, app: Router) {
        // Leaves the table however the task ends (even by a panic in hyper or a handler).
        let leave = Leave { table: self.table.clone(), slot: self.slot.clone() };
        self.serve(stream, http, app, leave).await;
    }

    /// Serves requests on the connection until it closes; `_leave` takes it out of the table then.
    async fn serve<S>(mut self, stream: S, http: http1::Builder, app: Router, _leave: Leave)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = {
            let (table, slot) = (self.table.clone(), self.slot.clone());
            let app = TowerToHyperService::new(app);
            service_fn(move |request| {
                let running = table.begin(&slot);
                let response = app.call(request);
                async move {
                    let response = response.await;
                    drop(running);
                    response
                }
            })
        };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let mut closing = false;
        loop {
            let deadline = if closing {
                None
            } else {
                Table::deadline(&self.slot, self.limits.header_read_timeout, self.limits.keep_alive_timeout)
            };
            let far = Instant::now() + Duration::from_secs(3600);
            let close = tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    break;
                }
                () = self.slot.evicted(), if !closing => true,
                _ = self.stopped.changed(), if !closing => {
                    self.table.retire(&self.slot);
                    true
                }
                () = tokio::time::sleep_until(deadline.unwrap_or(far)), if deadline.is_some() => {
                    // Due only if it is still waiting (a request may have begun since).
                    let due =
                        Table::deadline(&self.slot, self.limits.header_read_timeout, self.limits.keep_alive_timeout)
                            .is_some_and(|due| due <= Instant::now());
                    if due {
                        tracing::debug!("closing a connection that waited too long for a request");
                        self.table.retire(&self.slot);
                    }
                    due
                }
                () = self.slot.changed(), if !closing => false,
            };
            if close {
                // hyper's graceful shutdown waits for the first request of a new connection; one
                // that has sent no complete request has nothing to answer, so it is dropped. One
                // that has served a request may still be writing the answer: hyper closes it
                // once written, or at once if it is idle.
                if Table::nothing_to_answer(&self.slot) {
                    break;
                }
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

struct Leave {
    table: Arc<Table>,
    slot: Arc<Slot>,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.table.leave(&self.slot);
    }
}
