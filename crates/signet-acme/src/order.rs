//! Orders (RFC 8555 §7.4): newOrder with its authorizations (reusing the account's valid ones
//! within the reuse window), the order as it stands, finalize — an ordinary submission to the
//! order's profile, which may wait for a Certificate Manager — and the certificate with its chain.
//! An order's status is worked out from its authorizations and its request whenever it is read,
//! so nothing has to move it along in the background.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use signet_model::{Identifier, RequestState};
use signet_store::StoreError;
use signet_store::acme::*;

use crate::account::identity;
use crate::identifier::{self, Ordered, compound};
use crate::jws::b64;
use crate::problem::{AcmeProblem, AcmeResult, ProblemType, Subproblem};
use crate::server::{AcmeState, Posted, Signer, json};

/// Seconds a client is asked to wait before polling an order still being processed.
const RETRY_PROCESSING: u64 = 1;
/// Seconds a client is asked to wait while a Certificate Manager decides.
const RETRY_APPROVAL: u64 = 30;
/// How long a finalize may hold its claim on an order before its request is stored, and an
/// auto-approved issuance its reservation before it completes: both take well under a second,
/// so a claim or reservation this old was interrupted (the process died, or the database failed),
/// and any front end settles it. Storing the request and settling the claim exclude each other in
/// the database, so a finalize still running past this loses its order rather than issuing twice.
pub const INTERRUPTED_AFTER: time::Duration = time::Duration::minutes(2);

/// What became of a claimed order that has no request.
enum Unsubmitted {
    /// Its finalize is within its lease.
    Running,
    /// Its finalize was interrupted; now invalid with this problem.
    Settled(Value),
    /// Its request was stored after all (just now).
    Submitted(signet_model::RequestId),
}

/// The problem an interrupted finalize leaves on its order.
fn interrupted_problem() -> Value {
    AcmeProblem::new(
        ProblemType::ServerInternal,
        "the finalization was interrupted before the certificate request was stored (the server stopped or its database failed); no certificate was issued for this order: make a new order",
    )
    .document()
}

/// Whether the order's finalize claim is older than the lease (a claim made before claims had a
/// time counts as old).
fn is_stale(order: &AcmeOrderRecord, now: time::OffsetDateTime) -> bool {
    order.processing_since.is_none_or(|since| since < now - INTERRUPTED_AFTER)
}

/// Settles a claimed order without a request once its lease has passed.
async fn settle_unsubmitted(acme: &AcmeState, order: &AcmeOrderRecord) -> AcmeResult<Unsubmitted> {
    let now = acme.clock.now();
    if !is_stale(order, now) {
        return Ok(Unsubmitted::Running);
    }
    let problem = interrupted_problem();
    let settled =
        acme.store.settle_interrupted_finalizes(Some(order.id), now - INTERRUPTED_AFTER, problem.clone()).await?;
    if !settled.is_empty() {
        tracing::warn!(order = order.id, "interrupted ACME finalize settled: the order is invalid");
        return Ok(Unsubmitted::Settled(problem));
    }
    // Its request was stored meanwhile (the store refused the settlement): it stands.
    match acme.store.acme_order(order.id).await? {
        Some(AcmeOrderRecord { request_id: Some(request), .. }) => Ok(Unsubmitted::Submitted(request)),
        Some(AcmeOrderRecord { status: OrderStatus::Invalid, error, .. }) => {
            Ok(Unsubmitted::Settled(error.unwrap_or_else(interrupted_problem)))
        }
        _ => Ok(Unsubmitted::Running),
    }
}

/// Settles, at start, every order whose finalize was interrupted before its request was stored
/// and whose claim is older than `claimed_before`; answers how many.
pub async fn settle_interrupted_finalizes(
    store: &dyn AcmeStore,
    claimed_before: time::OffsetDateTime,
) -> AcmeResult<usize> {
    Ok(store.settle_interrupted_finalizes(None, claimed_before, interrupted_problem()).await?.len())
}

/// The challenges offered for an identifier: dns-01 only for wildcards (RFC 8555 §7.1.3), no
/// dns-01 for addresses (RFC 8738 §7).
fn challenge_kinds(ordered: &Ordered) -> &'static [&'static str] {
    match (ordered.stored.kind.as_str(), ordered.wildcard) {
        ("ip", _) => &["http-01", "tls-alpn-01"],
        (_, true) => &["dns-01"],
        _ => &["http-01", "dns-01", "tls-alpn-01"],
    }
}

fn token() -> AcmeResult<String> {
    use aws_lc_rs::rand::SecureRandom;
    let mut random = [0u8; 32];
    aws_lc_rs::rand::SystemRandom::new().fill(&mut random).map_err(|_| AcmeProblem::internal())?;
    Ok(b64(&random))
}

/// `POST /acme/new-order`.
pub(crate) async fn new_order(State(acme): State<AcmeState>, posted: Posted) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?;
    let payload = signed.jws.payload_json()?;
    let ordered = identifier::read_all(payload.get("identifiers"))?;
    // An account bound to an EAB key made for one profile orders from that profile only.
    let bound = match &account.eab_key_id {
        Some(key_id) => acme.store.eab_key(key_id).await?.and_then(|key| key.profile),
        None => None,
    };
    let profile = match (payload.get("profile"), &bound) {
        (None, Some(only)) => only.clone(),
        (None, None) => acme.config.settings.default_profile.clone(),
        (Some(Value::String(name)), Some(only)) if name != only => {
            return Err(AcmeProblem::new(
                ProblemType::InvalidProfile,
                format!("this account's external account key allows the profile {only:?} only"),
            ));
        }
        (Some(Value::String(name)), _) => name.clone(),
        (Some(_), _) => return Err(AcmeProblem::malformed("\"profile\" must be a string")),
    };
    let validity = match acme.authority.acme_profile(&profile) {
        Ok(found) => found.validity_at(acme.clock.now()),
        Err(e) => return Err(AcmeProblem::new(ProblemType::InvalidProfile, e.to_string())),
    };
    // As Boulder: a requested validity window is refused, not silently ignored (RFC 8555 §7.4
    // lets the server refuse what it will not honour).
    let asked: Vec<&str> = ["notBefore", "notAfter"].into_iter().filter(|f| payload.get(*f).is_some()).collect();
    if !asked.is_empty() {
        return Err(AcmeProblem::malformed(format!(
            "newOrder's {} not supported: profile {profile:?} sets the certificate's validity ({}), starting when it is issued; send the order without notBefore and notAfter",
            match asked.as_slice() {
                [one] => format!("{one} is"),
                _ => "notBefore and notAfter are".to_string(),
            },
            describe_validity(validity),
        )));
    }
    let replaces = crate::renewal::replaces(&acme, account, payload.get("replaces")).await?;
    // The profile's name rules, now rather than at finalization, each refusal named.
    let mut problems = Vec::new();
    for o in &ordered {
        if let Err(e) = acme.authority.check_acme_name(&profile, &o.name) {
            problems.push(Subproblem {
                kind: ProblemType::RejectedIdentifier.urn(),
                detail: e.to_string(),
                identifier: identifier::json_of(&o.stored),
            });
        }
    }
    compound(problems, "the profile refuses some identifiers")?;
    let now = acme.clock.now();
    let limit = acme.config.settings.orders_per_account_per_hour;
    if acme.store.count_orders_since(account.id, now - time::Duration::hours(1)).await? >= u64::from(limit) {
        return Err(AcmeProblem::new(
            ProblemType::RateLimited,
            format!("at most {limit} new orders per account per hour (acme.orders_per_account_per_hour)"),
        )
        .retry_after(600));
    }
    let per_name = acme.config.settings.orders_per_name_per_week;
    let mut limited = Vec::new();
    for o in &ordered {
        if acme.store.count_orders_for_name_since(&o.stored, now - time::Duration::days(7)).await?
            >= u64::from(per_name)
        {
            limited.push(Subproblem {
                kind: ProblemType::RateLimited.urn(),
                detail: format!(
                    "{} was ordered {per_name} times this week (acme.orders_per_name_per_week)",
                    o.stored.value
                ),
                identifier: identifier::json_of(&o.stored),
            });
        }
    }
    if !limited.is_empty() {
        let detail = format!("too many recent orders for {} of these identifiers", limited.len());
        return Err(AcmeProblem::new(ProblemType::RateLimited, detail).with_subproblems(limited).retry_after(3600));
    }
    let settings = &acme.config.settings;
    let mut authorizations = Vec::with_capacity(ordered.len());
    let mut expires_at = now + settings.order_lifetime;
    for o in &ordered {
        let reuse = acme.store.reusable_authorization(account.id, &o.authorization, o.wildcard, now).await?;
        match reuse {
            Some(id) => authorizations.push(AuthorizationFor::Reuse(id)),
            None => {
                let challenges = challenge_kinds(o)
                    .iter()
                    .map(|kind| {
                        Ok(AcmeChallenge {
                            kind: (*kind).to_string(),
                            token: token()?,
                            status: ChallengeStatus::Pending,
                            validated: None,
                            error: None,
                        })
                    })
                    .collect::<AcmeResult<Vec<_>>>()?;
                let authz_expires = now + settings.authorization_lifetime;
                expires_at = expires_at.min(authz_expires);
                authorizations.push(AuthorizationFor::New(NewAcmeAuthorization {
                    identifier: o.authorization.clone(),
                    wildcard: o.wildcard,
                    expires_at: authz_expires,
                    challenges,
                }));
            }
        }
    }
    let all_reused = authorizations.iter().all(|a| matches!(a, AuthorizationFor::Reuse(_)));
    let order = acme
        .store
        .create_order(NewAcmeOrder {
            account_id: account.id,
            profile,
            identifiers: ordered.iter().map(|o| o.stored.clone()).collect(),
            authorizations,
            not_before: None,
            not_after: None,
            expires_at,
            replaces,
            created_at: now,
        })
        .await?;
    // Known without reading the authorizations back: new ones are pending, reused ones valid.
    let fresh = if all_reused { OrderStatus::Ready } else { OrderStatus::Pending };
    let (body, _) = render(&acme, &order, (fresh, None, None));
    Ok(json(StatusCode::CREATED, Some(&acme.url(&format!("/order/{}", order.id))), &body))
}

/// A validity as an operator would say it: whole days, else hours.
fn describe_validity(validity: time::Duration) -> String {
    match (validity.whole_days(), validity.whole_hours()) {
        (1, _) => "1 day".to_string(),
        (days, _) if days > 1 && validity == time::Duration::days(days) => format!("{days} days"),
        (_, hours) => format!("{hours} hours"),
    }
}

/// An order of `account`, or 404 (also for another account's, so ids cannot be probed).
pub(crate) async fn owned_order(
    acme: &AcmeState,
    id: &str,
    account: &AcmeAccountRecord,
) -> AcmeResult<AcmeOrderRecord> {
    let missing = || AcmeProblem::not_found(format!("order {id}"));
    let id: i64 = id.parse().map_err(|_| missing())?;
    match acme.store.acme_order(id).await? {
        Some(order) if order.account_id == account.id => Ok(order),
        _ => Err(missing()),
    }
}

/// An order's status, the problem that made it invalid and the seconds a client should wait.
type Status = (OrderStatus, Option<Value>, Option<u64>);

/// An order's status now, with the problem that made it invalid and the seconds to wait.
/// A finalize interrupted before its request was stored, or an issuance interrupted after, is
/// settled here once its lease has passed, so a client polling never waits forever.
async fn status(acme: &AcmeState, order: &AcmeOrderRecord) -> AcmeResult<Status> {
    let now = acme.clock.now();
    match order.status {
        OrderStatus::Invalid => Ok((OrderStatus::Invalid, order.error.clone(), None)),
        OrderStatus::Valid => Ok((OrderStatus::Valid, None, None)),
        OrderStatus::Processing => {
            let request = match order.request_id {
                Some(request) => request,
                None => match settle_unsubmitted(acme, order).await? {
                    Unsubmitted::Settled(problem) => return Ok((OrderStatus::Invalid, Some(problem), None)),
                    Unsubmitted::Running => return Ok((OrderStatus::Processing, None, Some(RETRY_PROCESSING))),
                    Unsubmitted::Submitted(request) => request,
                },
            };
            let actor = signet_authority::Actor { name: identity(order.account_id), roles: Vec::new() };
            let access = signet_authority::Access::Actor(&actor);
            let mut view = acme.authority.status(access, request).await?;
            let approval = acme.authority.acme_waits_for_approval(&order.profile);
            if view.state == RequestState::Pending && !approval && is_stale(order, now) {
                // An auto-approved request still pending after the lease: its issuance was
                // interrupted after the request was stored. The startup recovery, run now, burns
                // its reserved serial and fails it; the order follows the request.
                let recovered = acme.authority.recover(INTERRUPTED_AFTER).await?;
                tracing::warn!(order = order.id, %request, recovered, "interrupted ACME issuance settled");
                view = acme.authority.status(signet_authority::Access::Actor(&actor), request).await?;
            }
            Ok(of_request(&view, approval))
        }
        OrderStatus::Pending | OrderStatus::Ready => {
            let authorizations = acme.store.acme_authorizations(&order.authorizations).await?;
            Ok(of_authorizations(acme, order, &authorizations))
        }
    }
}

/// The status of an order being processed, from its request; `approval`: its profile waits for
/// a Certificate Manager (a longer Retry-After).
fn of_request(view: &signet_authority::views::RequestView, approval: bool) -> Status {
    match view.state {
        RequestState::Issued => (OrderStatus::Valid, None, None),
        RequestState::Pending if approval => (OrderStatus::Processing, None, Some(RETRY_APPROVAL)),
        RequestState::Pending => (OrderStatus::Processing, None, Some(RETRY_PROCESSING)),
        RequestState::Denied | RequestState::Failed => {
            let reason = view.reason.clone().unwrap_or_default();
            let problem = AcmeProblem::unauthorized(format!("the certificate request was {}: {reason}", view.state));
            (OrderStatus::Invalid, Some(problem.document()), None)
        }
    }
}

/// The status of a pending or ready order, from its authorizations.
fn of_authorizations(acme: &AcmeState, order: &AcmeOrderRecord, authorizations: &[AcmeAuthorizationRecord]) -> Status {
    let now = acme.clock.now();
    if order.expires_at <= now {
        return (OrderStatus::Invalid, Some(AcmeProblem::malformed("the order expired").document()), None);
    }
    let mut all_valid = true;
    for authz in authorizations {
        match crate::authz::current(authz, now) {
            AuthorizationStatus::Valid => {}
            AuthorizationStatus::Pending => all_valid = false,
            other => {
                let problem = AcmeProblem::unauthorized(format!(
                    "the authorization for {} is {}",
                    authz.identifier.value,
                    other.as_str()
                ));
                return (OrderStatus::Invalid, Some(problem.document()), None);
            }
        }
    }
    (if all_valid { OrderStatus::Ready } else { OrderStatus::Pending }, None, None)
}

/// The order object (RFC 8555 §7.1.3) and the seconds a client should wait before polling.
pub(crate) async fn view(acme: &AcmeState, order: &AcmeOrderRecord) -> AcmeResult<(Value, Option<u64>)> {
    let status = status(acme, order).await?;
    Ok(render(acme, order, status))
}

/// The order object for an order whose status is known.
fn render(acme: &AcmeState, order: &AcmeOrderRecord, (current, error, retry): Status) -> (Value, Option<u64>) {
    let mut body = json!({
        "status": current.as_str(),
        "expires": signet_model::time_text::format(order.expires_at),
        "identifiers": order.identifiers.iter().map(identifier::json_of).collect::<Vec<_>>(),
        "authorizations": order.authorizations.iter().map(|id| acme.url(&format!("/authz/{id}"))).collect::<Vec<_>>(),
        "finalize": acme.url(&format!("/order/{}/finalize", order.id)),
        "profile": order.profile,
    });
    if let Some(fields) = body.as_object_mut() {
        if let Some(error) = error {
            fields.insert("error".into(), error);
        }
        if current == OrderStatus::Valid
            && let Some(request) = order.request_id
        {
            fields.insert("certificate".into(), json!(acme.url(&format!("/cert/{request}"))));
        }
        if let Some(replaces) = &order.replaces {
            fields.insert("replaces".into(), json!(replaces));
        }
    }
    (body, retry)
}

fn with_retry(mut response: Response, retry: Option<u64>) -> Response {
    if let Some(seconds) = retry {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Most order URLs an account's orders list shows.
const ORDERS_LISTED: u32 = 1000;

/// `POST /acme/acct/{id}/orders` (POST-as-GET, RFC 8555 §7.1.2.1): the account's orders, newest
/// first.
pub(crate) async fn account_orders(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account_at(&id, "the orders list is not the signing account's")?;
    let ids = acme.store.account_orders(account.id, ORDERS_LISTED).await?;
    let urls: Vec<String> = ids.iter().map(|id| acme.url(&format!("/order/{id}"))).collect();
    Ok(json(StatusCode::OK, None, &json!({"orders": urls})))
}

/// `POST /acme/order/{id}` (POST-as-GET).
pub(crate) async fn order(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let order = owned_order(&acme, &id, signed.account()?).await?;
    let (body, retry) = view(&acme, &order).await?;
    Ok(with_retry(json(StatusCode::OK, None, &body), retry))
}

/// `POST /acme/order/{id}/finalize`.
pub(crate) async fn finalize(
    State(acme): State<AcmeState>,
    Path(id): Path<String>,
    posted: Posted,
) -> AcmeResult<Response> {
    let signed = acme.authenticate(&posted, Signer::Account).await?;
    let account = signed.account()?;
    let order = owned_order(&acme, &id, account).await?;
    // Read once: for the status and for the CAA check.
    let authorizations = match order.status {
        OrderStatus::Pending | OrderStatus::Ready => acme.store.acme_authorizations(&order.authorizations).await?,
        _ => Vec::new(),
    };
    let (current, _, _) = match order.status {
        OrderStatus::Pending | OrderStatus::Ready => of_authorizations(&acme, &order, &authorizations),
        _ => status(&acme, &order).await?,
    };
    if current != OrderStatus::Ready {
        return Err(AcmeProblem::new(
            ProblemType::OrderNotReady,
            format!(
                "order {} is {}, not ready: {}",
                order.id,
                current.as_str(),
                match current {
                    OrderStatus::Pending => "complete its authorizations first",
                    OrderStatus::Processing | OrderStatus::Valid => "it was finalized already",
                    _ => "make a new order",
                }
            ),
        ));
    }
    let payload = signed.jws.payload_json()?;
    let csr = payload
        .get("csr")
        .and_then(Value::as_str)
        .ok_or_else(|| AcmeProblem::malformed("finalize needs {\"csr\": base64url DER}"))?;
    let csr = crate::jws::b64_decode(csr, "the CSR")
        .map_err(|_| AcmeProblem::new(ProblemType::BadCsr, "the CSR is not base64url DER"))?;
    let csr = acme
        .authority
        .acme_csr(&order.profile, csr)
        .map_err(|e| AcmeProblem::new(ProblemType::BadCsr, e.to_string()))?;
    check_csr_names(&order, csr.names())?;
    crate::authz::check_caa(&acme, account, &authorizations).await?;
    // Claim the order: of two finalizes racing, one goes on. The claim's time is its lease.
    let claimed_at = acme.clock.now();
    acme.store
        .change_order(OrderChange {
            id: order.id,
            from: order.status,
            to: OrderStatus::Processing,
            request_id: None,
            processing_since: Some(claimed_at),
            error: None,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AcmeProblem::new(ProblemType::OrderNotReady, "the order was finalized already"),
            other => other.into(),
        })?;
    // The request is recorded on the order in the transaction that stores it: from here on a
    // crash leaves either no request (settled by `status` after the lease) or a linked one.
    let authority = acme.authority.clone();
    let (who, order_id) = (identity(account.id), order.id);
    let approval = acme.authority.acme_waits_for_approval(&order.profile);
    let submitted = tokio::spawn(async move { authority.submit_acme(&who, csr, order_id).await })
        .await
        .map_err(|_| AcmeProblem::internal())?;
    let submitted = match submitted {
        Ok(submitted) => submitted,
        Err(e) => {
            let problem = AcmeProblem::from(e);
            // A request stored before the failure (signing or storing the certificate failed)
            // decides the order: failed, or issued after all; the order follows it.
            if let Ok(Some(AcmeOrderRecord { request_id: Some(_), .. })) = acme.store.acme_order(order.id).await {
                return Err(problem);
            }
            let failed = OrderChange {
                id: order.id,
                from: OrderStatus::Processing,
                to: OrderStatus::Invalid,
                request_id: None,
                processing_since: None,
                error: Some(problem.document()),
            };
            // Refused when the order was settled meanwhile; left for the settlement when the
            // database failed. Either way the client hears why this finalize failed.
            if let Err(e) = acme.store.change_order(failed).await {
                tracing::warn!(order = order.id, error = %e, "could not mark a failed finalize's order invalid");
            }
            return Err(problem);
        }
    };
    let mut stored = order.clone();
    stored.status = OrderStatus::Processing;
    stored.request_id = Some(submitted.request.id);
    stored.processing_since = Some(claimed_at);
    // The submission answered with the request as stored: no need to read it back.
    let (body, retry) = render(&acme, &stored, of_request(&submitted.request, approval));
    Ok(with_retry(json(StatusCode::OK, Some(&acme.url(&format!("/order/{}", order.id))), &body), retry))
}

/// The CSR must name exactly the order's identifiers (RFC 8555 §7.4).
fn check_csr_names(order: &AcmeOrderRecord, asked: &[Identifier]) -> AcmeResult<()> {
    let ordered: Vec<String> = order.identifiers.iter().map(|i| format!("{}:{}", i.kind, i.value)).collect();
    let asked: Vec<String> = asked.iter().map(ToString::to_string).collect();
    let missing: Vec<&String> = ordered.iter().filter(|o| !asked.contains(o)).collect();
    let extra: Vec<&String> = asked.iter().filter(|a| !ordered.contains(a)).collect();
    if missing.is_empty() && extra.is_empty() {
        return Ok(());
    }
    let mut detail = "the CSR must name exactly the order's identifiers".to_string();
    if !extra.is_empty() {
        detail.push_str(&format!(
            "; not in the order: {}",
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !missing.is_empty() {
        detail.push_str(&format!("; missing: {}", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
    }
    Err(AcmeProblem::new(ProblemType::BadCsr, detail))
}
