//! Applying operations one statement at a time (SQLite always; PostgreSQL when a batch cannot be
//! pipelined): what each operation runs, and how a refusal is told from a database failure.

use signet_store::audit::AuditEvent;
use signet_store::*;

use super::journal::Journal;
use super::op::{Job, Op, Outcome};
use super::statements;
use crate::db::{Db, DbError, UniqueViolation, Value};
use crate::rows::{self, json_list, secs};

/// Why an operation did not go through.
pub(crate) enum Failure {
    /// The operation was refused; the batch goes on.
    Refused(StoreError),
    /// The database failed; the batch is abandoned.
    Sql(DbError),
}

impl From<DbError> for Failure {
    /// A failure of the database. A unique violation that the statement's caller did not
    /// classify ([`Constraint::refuse`]) is one too: the schema broke a rule nobody expected.
    fn from(e: DbError) -> Self {
        Failure::Sql(e)
    }
}

pub(crate) fn refused(e: StoreError) -> Failure {
    Failure::Refused(e)
}

/// The unique rules of the schema that a write may break on purpose. Each is recognised by the
/// name PostgreSQL gives it, or on SQLite by its extended result code within the one table the
/// statement writes (a certificate's primary key is its serial; its other unique index allows
/// one live certificate per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Constraint {
    /// `certificates (ca_id, serial)`: a serial is never reused.
    CertificateSerial,
    /// `certificates_one_live_per_request`: one reserved or issued certificate per request.
    LiveCertificatePerRequest,
    /// `cas (name)`.
    CaName,
    /// `tokens (hash)`.
    TokenHash,
    /// `ocsp_responders (ca_id, serial)`.
    OcspResponder,
    /// `ca_alternates (ca_id, sha256)`.
    CaAlternate,
}

impl Constraint {
    fn postgres_name(self) -> &'static str {
        match self {
            Self::CertificateSerial => "certificates_pkey",
            Self::LiveCertificatePerRequest => "certificates_one_live_per_request",
            Self::CaName => "cas_name_key",
            Self::TokenHash => "tokens_hash_key",
            Self::OcspResponder => "ocsp_responders_pkey",
            Self::CaAlternate => "ca_alternates_once_per_ca",
        }
    }

    fn sqlite_violation(self) -> UniqueViolation {
        match self {
            Self::CertificateSerial | Self::OcspResponder => UniqueViolation::PrimaryKey,
            Self::LiveCertificatePerRequest | Self::CaName | Self::TokenHash | Self::CaAlternate => {
                UniqueViolation::Unique
            }
        }
    }

    fn matches(self, violation: &UniqueViolation) -> bool {
        match violation {
            UniqueViolation::Named(name) => name == self.postgres_name(),
            sqlite => *sqlite == self.sqlite_violation(),
        }
    }

    /// What the caller is told.
    fn conflict(self) -> StoreError {
        StoreError::Conflict(
            match self {
                Self::CertificateSerial => "that serial number is already used by this CA",
                Self::LiveCertificatePerRequest => "the request already has a certificate issued or being issued",
                Self::CaName => "a CA with that name already exists",
                Self::TokenHash => "that token already exists",
                Self::OcspResponder => "that OCSP responder is already stored",
                Self::CaAlternate => "the CA already holds that certificate",
            }
            .into(),
        )
    }

    /// Maps a failed statement that may break one of `possible` (all in one table) to a refusal;
    /// any other failure stays a database failure.
    pub(crate) fn refuse(possible: &[Constraint]) -> impl Fn(DbError) -> Failure + '_ {
        move |e| match &e {
            DbError::Unique { violation, .. } => match possible.iter().find(|c| c.matches(violation)) {
                Some(constraint) => refused(constraint.conflict()),
                None => Failure::Sql(e),
            },
            _ => Failure::Sql(e),
        }
    }
}

/// Each operation's result, and the audit events of those that went through.
pub(crate) type Applied = (Vec<StoreResult<Outcome>>, Journal);

/// Applies each operation of a batch. With savepoints, a refused operation is rolled back alone
/// and the batch goes on; without, the first refusal gives up (None) and the caller rolls back.
pub(crate) fn apply_all(db: &mut dyn Db, batch: &[Job], savepoints: bool) -> Result<Option<Applied>, DbError> {
    let mut journal = Journal::default();
    let mut results = Vec::with_capacity(batch.len());
    for (i, job) in batch.iter().enumerate() {
        if savepoints {
            // Releasing the previous savepoint and opening the next is one round trip; COMMIT
            // releases the last.
            db.script(if i == 0 { "SAVEPOINT op" } else { "RELEASE op; SAVEPOINT op" })?;
        }
        let mark = journal.events.len();
        match apply(db, &job.op, &mut journal) {
            Ok(outcome) => results.push(Ok(outcome)),
            Err(Failure::Refused(e)) if savepoints => {
                db.script("ROLLBACK TO op")?;
                journal.events.truncate(mark);
                results.push(Err(e));
            }
            Err(Failure::Refused(_)) => return Ok(None),
            Err(Failure::Sql(e)) => return Err(e),
        }
    }
    Ok(Some((results, journal)))
}

/// An audit event naming the request it is about, once the request has its id.
pub(crate) fn with_target(event: &AuditEvent, id: i64) -> AuditEvent {
    let mut event = event.clone();
    event.target = format!("request:{id}");
    event
}

/// The id a `RETURNING id` statement answered; no row is a failure, never id 0.
pub(crate) fn returned_id(rows: &[crate::db::Row], what: &str) -> Result<i64, Failure> {
    let row = rows.first().ok_or_else(|| refused(StoreError::Corrupt(format!("{what} returned no id"))))?;
    rows::int(row, "id").map_err(refused)
}

/// Runs one operation, appending its audit events to `journal`.
pub(crate) fn apply(db: &mut dyn Db, op: &Op, journal: &mut Journal) -> Result<Outcome, Failure> {
    match op {
        Op::CreateCa(ca, event) => {
            let rows = db
                .query(
                    "INSERT INTO cas (name, kind, parent, certificate, csr, encrypted_key, not_after, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        ca.name.as_str().into(),
                        ca.kind.as_str().into(),
                        ca.parent.as_deref().into(),
                        ca.certificate.as_deref().into(),
                        ca.csr.as_deref().into(),
                        ca.encrypted_key.as_slice().into(),
                        ca.not_after.map(secs).into(),
                        Value::Int(secs(ca.created_at)),
                    ],
                )
                .map_err(Constraint::refuse(&[Constraint::CaName]))?;
            let id = returned_id(&rows, "creating the CA")?;
            journal.append(event)?;
            Ok(Outcome::Id(id))
        }
        Op::InstallCa { ca_id, certificate, not_after, audit } => {
            let done = db.execute(
                "UPDATE cas SET certificate = $1, not_after = $2 WHERE id = $3",
                &[certificate.as_slice().into(), Value::Int(secs(*not_after)), (*ca_id).into()],
            )?;
            if done == 0 {
                return Err(refused(StoreError::NotFound(format!("CA {ca_id}"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::AddCaAlternate(alternate, event) => {
            let known = db.query("SELECT id FROM cas WHERE id = $1", &[alternate.ca_id.into()])?;
            if known.is_empty() {
                return Err(refused(StoreError::NotFound(format!("CA {}", alternate.ca_id))));
            }
            let chain: Vec<String> = alternate.chain.iter().map(hex::encode).collect();
            let chain = serde_json::to_string(&chain).map_err(|e| refused(StoreError::Corrupt(e.to_string())))?;
            let rows = db
                .query(
                    "INSERT INTO ca_alternates (ca_id, certificate, sha256, issuer_ca, chain, not_after, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        alternate.ca_id.into(),
                        alternate.certificate.as_slice().into(),
                        alternate.sha256.into(),
                        alternate.issuer_ca.as_deref().into(),
                        chain.into(),
                        Value::Int(secs(alternate.not_after)),
                        Value::Int(secs(alternate.created_at)),
                    ],
                )
                .map_err(Constraint::refuse(&[Constraint::CaAlternate]))?;
            let id = returned_id(&rows, "storing the alternate CA certificate")?;
            journal.append(event)?;
            Ok(Outcome::Id(id))
        }
        Op::Submit(request, event) => {
            let id = statements::insert_request(db, request)?;
            if let Some(order) = request.acme_order {
                super::acme::link_request(db, order, id)?;
            }
            journal.append(&with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::SubmitAndReserve(request, reservation, event) => {
            let id = statements::submit_and_reserve(db, request, reservation)?;
            if let Some(order) = request.acme_order {
                super::acme::link_request(db, order, id)?;
            }
            journal.append(&with_target(event, id))?;
            Ok(Outcome::Id(id))
        }
        Op::Reserve(request, reservation, event) => {
            statements::insert_reservation(db, reservation, request.get())?;
            journal.append(event)?;
            Ok(Outcome::Done)
        }
        Op::Complete(c, events) => {
            statements::complete(db, c)?;
            events.iter().try_for_each(|event| journal.append(event))?;
            Ok(Outcome::Done)
        }
        Op::Abandon { ca_id, serial, audit } => {
            if statements::abandon(db, *ca_id, serial)? == 0 {
                return Err(refused(StoreError::Conflict(format!("serial {serial} is not reserved"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::Decide { id, decision, by, reason, at, audit } => {
            if statements::decide(db, id.get(), *decision, by.as_deref(), reason, *at)? == 0 {
                let why = statements::explain(db, *id)?;
                return Err(refused(why));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::CreateToken(token, event) => {
            let roles: Vec<String> = token.roles.iter().map(|r| r.as_str().to_string()).collect();
            let rows = db
                .query(
                    "INSERT INTO tokens (name, hash, roles, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    &[
                        token.name.as_str().into(),
                        token.hash.into(),
                        json_list(&roles).into(),
                        Value::Int(secs(token.created_at)),
                    ],
                )
                .map_err(Constraint::refuse(&[Constraint::TokenHash]))?;
            let id = returned_id(&rows, "creating the token")?;
            journal.append(event)?;
            Ok(Outcome::Id(id))
        }
        Op::RevokeToken { id, at, audit } => {
            let done = db.execute(
                "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[Value::Int(secs(*at)), Value::Int(*id)],
            )?;
            if done == 0 {
                return Err(refused(StoreError::NotFound(format!("live token {id}"))));
            }
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::Audit(events) => {
            for event in events {
                journal.append(event)?;
            }
            Ok(Outcome::Done)
        }
        Op::Revoke { ca_id, serial, revocation, audit } => {
            let record = super::revocation::revoke(db, *ca_id, serial, revocation)?;
            journal.append(audit)?;
            Ok(Outcome::Certificate(Box::new(record)))
        }
        Op::ReleaseHold { ca_id, serial, audit } => {
            let record = super::revocation::release_hold(db, *ca_id, serial)?;
            journal.append(audit)?;
            Ok(Outcome::Certificate(Box::new(record)))
        }
        Op::NextCrlNumber { ca_id, floor } => {
            Ok(Outcome::Number(super::revocation::next_crl_number(db, *ca_id, *floor)?))
        }
        Op::StoreOcspResponses(responses, audit) => {
            let stored = super::revocation::store_ocsp_responses(db, responses)?;
            if stored > 0 {
                journal.append(audit)?;
            }
            Ok(Outcome::Count(stored))
        }
        Op::StoreOcspResponder { responder, resign_all, audit } => {
            super::revocation::store_ocsp_responder(db, responder, *resign_all)?;
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::StoreCrl(crl, audit) => {
            super::revocation::store_crl(db, crl)?;
            journal.append(audit)?;
            Ok(Outcome::Done)
        }
        Op::AbandonStale(before, at) => {
            // One statement: what it returns is exactly what it changed, even with other front
            // ends completing reservations at the same moment.
            let changed = db.query(
                "UPDATE certificates SET status = 'abandoned' WHERE status = 'reserved' AND created_at < $1 RETURNING *",
                &[Value::Int(secs(*before))],
            )?;
            let records: Vec<CertificateRecord> =
                changed.iter().map(|r| rows::certificate(r, "")).collect::<StoreResult<_>>().map_err(refused)?;
            for record in &records {
                let event = AuditEvent::new(
                    *at,
                    "system",
                    "certificate.abandon",
                    &format!("request:{}", record.request_id),
                    serde_json::json!({"ca_id": record.ca_id, "serial": record.serial.to_hex(), "why": "reservation left by an interrupted issuance"}),
                );
                journal.append(&event)?;
            }
            Ok(Outcome::Abandoned(records))
        }
        Op::Acme(op) => super::acme::apply(db, op, journal),
        Op::Raw(sql) => {
            db.script(sql).map_err(|e| refused(StoreError::Unavailable(e.to_string())))?;
            Ok(Outcome::Done)
        }
    }
}
