//! CRL download at the distribution points certificates name: `GET /crl/NAME.crl` (the full CRL)
//! and `GET /crl/NAME/N.crl` (partition N), DER with `Content-Type: application/pkix-crl` (RFC
//! 5280 §4.2.1.13), with `ETag`, `Last-Modified` and `Cache-Control` for caches and CDNs, and 304
//! for a matching `If-None-Match`.
//!
//! Served from memory: the CRLs the publisher stored are loaded once and kept until a newer one
//! is stored (checked at most every [`RECHECK`]), so a download costs no database round trip and a
//! CRL of millions of entries is not read for every request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use signet_authority::{Authority, Kind};
use signet_model::{CaId, CrlScope};
use signet_store::StoreRead;
use time::OffsetDateTime;
use tokio::sync::{Mutex, RwLock};

use crate::problem::{ApiResult, Problem};

/// How long a loaded CRL is served before the store is asked whether a newer one exists.
pub const RECHECK: Duration = Duration::from_secs(2);

/// The CRL routes, with the files they serve.
pub(crate) fn routes(authority: Arc<Authority>) -> axum::Router {
    axum::Router::new()
        .route("/crl/{file}", get(full))
        .route("/crl/{ca}/{file}", get(partition))
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .with_state(CrlState { authority, files: Arc::default() })
}

/// What the CRL handlers share.
#[derive(Clone)]
struct CrlState {
    authority: Arc<Authority>,
    files: Arc<CrlFiles>,
}

/// A stored CRL, ready to send.
struct CrlFile {
    number: u64,
    der: Bytes,
    etag: HeaderValue,
    last_modified: HeaderValue,
    next_update: OffsetDateTime,
}

/// The CRLs loaded from the store, by CA and scope.
#[derive(Default)]
struct CrlFiles {
    files: RwLock<HashMap<(CaId, CrlScope), Arc<CrlFile>>>,
    /// When the store was last asked; held while asking, so concurrent downloads wait for one
    /// answer instead of each asking.
    checked: Mutex<Option<Instant>>,
}

impl CrlFiles {
    async fn get(&self, store: &dyn StoreRead, key: (CaId, CrlScope)) -> ApiResult<Option<Arc<CrlFile>>> {
        {
            let mut checked = self.checked.lock().await;
            if checked.is_none_or(|at| at.elapsed() >= RECHECK) {
                self.reload(store).await?;
                *checked = Some(Instant::now());
            }
        }
        Ok(self.files.read().await.get(&key).cloned())
    }

    /// Loads every CRL whose stored number differs from the one in memory.
    async fn reload(&self, store: &dyn StoreRead) -> ApiResult<()> {
        let stored = store.crls().await.map_err(signet_authority::AuthorityError::from)?;
        for summary in stored {
            let key = (summary.ca_id, summary.scope);
            if self.files.read().await.get(&key).is_some_and(|f| f.number == summary.number) {
                continue;
            }
            let Some(record) =
                store.crl(summary.ca_id, summary.scope).await.map_err(signet_authority::AuthorityError::from)?
            else {
                continue;
            };
            let s = &record.summary;
            let file = CrlFile {
                number: s.number,
                etag: HeaderValue::from_str(&format!("\"{}-{}\"", s.number, &s.sha256.to_hex()[..16]))
                    .map_err(|e| Problem::new(Kind::Internal, e.to_string()))?,
                last_modified: http_date(s.this_update)?,
                next_update: s.next_update,
                der: Bytes::from(record.der),
            };
            self.files.write().await.insert(key, Arc::new(file));
        }
        Ok(())
    }
}

impl CrlFiles {
    /// Why CA `name` has no CRL of `scope`: not partitioned, no such partition, or none yet.
    async fn missing(&self, ca: CaId, name: &str, scope: CrlScope) -> Problem {
        let files = self.files.read().await;
        let mut partitions: Vec<u16> = files
            .keys()
            .filter_map(|(id, s)| match s {
                CrlScope::Shard(n) if *id == ca => Some(*n),
                _ => None,
            })
            .collect();
        partitions.sort_unstable();
        let published = files.contains_key(&(ca, CrlScope::Full));
        let detail = match (scope, partitions.first(), partitions.last()) {
            (CrlScope::Shard(_), None, _) if published => {
                format!("CA {name} is not partitioned: its CRL is /crl/{name}.crl (`signet crl get` without --shard)")
            }
            (CrlScope::Shard(n), Some(first), Some(last)) => {
                format!(
                    "CA {name} has no partition {n}: its partitions are {first} to {last}, and /crl/{name}.crl is the full CRL"
                )
            }
            _ => format!(
                "CA {name} has no published CRL of scope {scope} yet: the publisher makes one within a minute of start"
            ),
        };
        Problem::new(Kind::NotFound, detail)
    }
}

/// An HTTP date (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
fn http_date(at: OffsetDateTime) -> ApiResult<HeaderValue> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let text =
        at.to_offset(time::UtcOffset::UTC).format(&format).map_err(|e| Problem::new(Kind::Internal, e.to_string()))?;
    HeaderValue::from_str(&text).map_err(|e| Problem::new(Kind::Internal, e.to_string()))
}

fn not_found(what: &str) -> Problem {
    Problem::new(Kind::NotFound, format!("{what}; CRLs are at /crl/CA.crl and, for a partitioned CA, /crl/CA/N.crl"))
}

/// `GET /crl/NAME.crl`.
async fn full(State(state): State<CrlState>, Path(file): Path<String>, headers: HeaderMap) -> ApiResult<Response> {
    let name = file.strip_suffix(".crl").ok_or_else(|| not_found("no such CRL"))?;
    serve(&state, name, CrlScope::Full, &headers).await
}

/// `GET /crl/NAME/N.crl`.
async fn partition(
    State(state): State<CrlState>,
    Path((name, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let shard = file
        .strip_suffix(".crl")
        .and_then(|n| n.parse::<u16>().ok())
        .ok_or_else(|| not_found(&format!("{file:?} is not a partition number")))?;
    serve(&state, &name, CrlScope::Shard(shard), &headers).await
}

async fn serve(state: &CrlState, name: &str, scope: CrlScope, headers: &HeaderMap) -> ApiResult<Response> {
    let ca = state.authority.ca_id_of(name).ok_or_else(|| {
        let known: Vec<&str> = state.authority.ca_names();
        not_found(&format!("there is no CA named {name:?} (CAs: {})", known.join(", ")))
    })?;
    let store = state.authority.store().clone();
    let Some(file) = state.files.get(store.as_ref(), (ca, scope)).await? else {
        return Err(state.files.missing(ca, name, scope).await);
    };
    // Caches keep it no longer than a revocation takes to be published, nor past nextUpdate.
    let until_next = (file.next_update - state.authority.now()).whole_seconds().max(0);
    let max_age = state.authority.crl_policy().after_revocation.whole_seconds().min(until_next);
    let cache_control = HeaderValue::from_str(&format!("public, max-age={max_age}, no-transform"))
        .map_err(|e| Problem::new(Kind::Internal, e.to_string()))?;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == "*" || tag.trim().trim_start_matches("W/") == file.etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, HeaderValue::from_static("application/pkix-crl"))], file.der.clone()).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::ETAG, file.etag.clone());
    response_headers.insert(header::LAST_MODIFIED, file.last_modified.clone());
    response_headers.insert(header::CACHE_CONTROL, cache_control);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_imf_fixdate() {
        let at = time::macros::datetime!(1994-11-06 08:49:37 UTC);
        assert_eq!(http_date(at).unwrap(), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
