//! The state changes the writer carries out, and what each one answers.

use signet_model::{CaId, Decision, RequestId, Serial};
use signet_store::audit::AuditEvent;
use signet_store::*;
use tokio::sync::oneshot;

/// A state change.
pub(crate) enum Op {
    CreateCa(NewCa, AuditEvent),
    InstallCa {
        ca_id: CaId,
        certificate: Vec<u8>,
        not_after: time::OffsetDateTime,
        audit: AuditEvent,
    },
    AddCaAlternate(Box<NewCaAlternate>, AuditEvent),
    Submit(NewRequest, AuditEvent),
    SubmitAndReserve(NewRequest, Reservation, AuditEvent),
    Reserve(RequestId, Reservation, AuditEvent),
    Complete(Completion, Vec<AuditEvent>),
    Abandon {
        ca_id: CaId,
        serial: Serial,
        audit: AuditEvent,
    },
    Decide {
        id: RequestId,
        decision: Decision,
        by: Option<String>,
        reason: String,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    },
    CreateToken(NewToken, AuditEvent),
    RevokeToken {
        id: i64,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    },
    Revoke {
        ca_id: CaId,
        serial: Serial,
        revocation: Revocation,
        audit: AuditEvent,
    },
    ReleaseHold {
        ca_id: CaId,
        serial: Serial,
        audit: AuditEvent,
    },
    NextCrlNumber {
        ca_id: CaId,
        floor: u64,
    },
    StoreCrl(Box<CrlRecord>, AuditEvent),
    StoreOcspResponses(Vec<OcspResponseRecord>, AuditEvent),
    StoreOcspResponder {
        responder: Box<OcspResponderRecord>,
        resign_all: bool,
        audit: AuditEvent,
    },
    Audit(Vec<AuditEvent>),
    AbandonStale(time::OffsetDateTime, time::OffsetDateTime),
    /// Raw SQL, for tests and repair tools only.
    Raw(String),
    /// An ACME state change.
    Acme(super::acme::AcmeOp),
}

impl Op {
    /// Whether the caller must not proceed until this is on disk. A reservation need not wait:
    /// the completion that follows it is durable, and the log is sequential, so its flush carries
    /// the reservation with it; nothing is signed that the database has not committed.
    pub(crate) fn durable(&self) -> bool {
        match self {
            Op::Reserve(..) | Op::SubmitAndReserve(..) => false,
            Op::Acme(op) => op.durable(),
            _ => true,
        }
    }

    /// The existing request whose row this operation locks, if any. A batch takes its locks in
    /// this order, so front ends sharing a PostgreSQL database do not deadlock.
    pub(crate) fn locked_request(&self) -> Option<i64> {
        match self {
            Op::Reserve(id, ..) | Op::Decide { id, .. } => Some(id.get()),
            Op::Complete(c, _) => Some(c.request_id.get()),
            _ => None,
        }
    }
}

/// What an operation produced.
pub(crate) enum Outcome {
    Id(i64),
    /// A new request, as stored.
    Request(Box<RequestRecord>),
    Done,
    Abandoned(Vec<CertificateRecord>),
    /// A certificate as the operation left it.
    Certificate(Box<CertificateRecord>),
    /// A CRL number handed out.
    Number(u64),
    /// How many were stored.
    Count(usize),
    /// Whether something happened (a nonce redeemed the first time).
    Flag(bool),
    /// Bytes read back (an ACME secret).
    Bytes(Vec<u8>),
    /// Ids of the rows changed.
    Ids(Vec<i64>),
    /// A new ACME order, as stored.
    AcmeOrder(Box<signet_store::acme::AcmeOrderRecord>),
}

impl Outcome {
    /// The answer to `op` once committed: a new request's id becomes its record, built from what
    /// `op` wrote (moved, not copied).
    pub(crate) fn answering(self, op: Op) -> StoreResult<Self> {
        match (self, op) {
            (Outcome::Id(id), Op::Submit(request, _) | Op::SubmitAndReserve(request, ..)) => {
                let id = RequestId::new(id).ok_or_else(|| StoreError::Corrupt(format!("request id {id}")))?;
                Ok(Outcome::Request(Box::new(RequestRecord::stored(id, request))))
            }
            (outcome, _) => Ok(outcome),
        }
    }
}

/// An operation and where to send its result.
pub(crate) struct Job {
    pub(crate) op: Op,
    pub(crate) reply: oneshot::Sender<StoreResult<Outcome>>,
}
