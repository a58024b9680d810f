//! The write methods: each hands one operation to the writer thread ([`crate::writer`]) and waits
//! for its answer.

use async_trait::async_trait;
use signet_model::{CaId, Decision, RequestId, Serial};
use signet_store::audit::AuditEvent;
use signet_store::*;
use tokio::sync::oneshot;

use crate::writer::{Job, Op, Outcome};
use crate::{SqlStore, unavailable};

impl SqlStore {
    pub(crate) async fn submit_op(&self, op: Op) -> StoreResult<Outcome> {
        let (reply, answer) = oneshot::channel();
        let writer = self.writer.clone();
        // The channel is bounded; a full channel means the writer is far behind, so wait off the
        // async workers rather than block them.
        match writer.try_send(Job { op, reply }) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(job)) => {
                let sent = tokio::task::spawn_blocking(move || writer.send(job).is_ok()).await.map_err(unavailable)?;
                if !sent {
                    return Err(stopped());
                }
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(stopped()),
        }
        answer.await.map_err(|_| stopped())?
    }

    async fn id_op(&self, op: Op) -> StoreResult<i64> {
        match self.submit_op(op).await? {
            Outcome::Id(id) => Ok(id),
            _ => Err(StoreError::Corrupt("writer returned no id".into())),
        }
    }

    async fn request_op(&self, op: Op) -> StoreResult<RequestRecord> {
        match self.submit_op(op).await? {
            Outcome::Request(record) => Ok(*record),
            _ => Err(StoreError::Corrupt("writer returned no request".into())),
        }
    }

    async fn certificate_op(&self, op: Op) -> StoreResult<CertificateRecord> {
        match self.submit_op(op).await? {
            Outcome::Certificate(record) => Ok(*record),
            _ => Err(StoreError::Corrupt("writer returned no certificate".into())),
        }
    }

    async fn unit_op(&self, op: Op) -> StoreResult<()> {
        self.submit_op(op).await.map(|_| ())
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the storage writer has stopped".into())
}

#[async_trait]
impl StoreWrite for SqlStore {
    async fn create_ca(&self, ca: NewCa, audit: AuditEvent) -> StoreResult<CaId> {
        let id = self.id_op(Op::CreateCa(ca, audit)).await?;
        CaId::new(id).ok_or_else(|| StoreError::Corrupt(format!("CA id {id}")))
    }

    async fn install_ca_certificate(
        &self,
        ca_id: CaId,
        certificate: Vec<u8>,
        not_after: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.unit_op(Op::InstallCa { ca_id, certificate, not_after, audit }).await
    }

    async fn add_ca_alternate(&self, alternate: NewCaAlternate, audit: AuditEvent) -> StoreResult<i64> {
        self.id_op(Op::AddCaAlternate(Box::new(alternate), audit)).await
    }

    async fn submit(&self, request: NewRequest, audit: AuditEvent) -> StoreResult<RequestRecord> {
        self.request_op(Op::Submit(request, audit)).await
    }

    async fn submit_and_reserve(
        &self,
        request: NewRequest,
        reservation: Reservation,
        audit: AuditEvent,
    ) -> StoreResult<RequestRecord> {
        self.request_op(Op::SubmitAndReserve(request, reservation, audit)).await
    }

    async fn reserve(&self, request: RequestId, reservation: Reservation, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Reserve(request, reservation, audit)).await
    }

    async fn complete(&self, completion: Completion, audit: Vec<AuditEvent>) -> StoreResult<()> {
        self.unit_op(Op::Complete(completion, audit)).await
    }

    async fn abandon(&self, ca_id: CaId, serial: &Serial, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Abandon { ca_id, serial: *serial, audit }).await
    }

    async fn deny(
        &self,
        id: RequestId,
        by: &str,
        reason: &str,
        at: time::OffsetDateTime,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.unit_op(Op::Decide {
            id,
            decision: Decision::Deny,
            by: Some(by.to_string()),
            reason: reason.to_string(),
            at,
            audit,
        })
        .await
    }

    async fn fail(&self, id: RequestId, reason: &str, at: time::OffsetDateTime, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::Decide { id, decision: Decision::Fail, by: None, reason: reason.to_string(), at, audit }).await
    }

    async fn revoke(
        &self,
        ca_id: CaId,
        serial: &Serial,
        revocation: Revocation,
        audit: AuditEvent,
    ) -> StoreResult<CertificateRecord> {
        self.certificate_op(Op::Revoke { ca_id, serial: *serial, revocation, audit }).await
    }

    async fn release_hold(&self, ca_id: CaId, serial: &Serial, audit: AuditEvent) -> StoreResult<CertificateRecord> {
        self.certificate_op(Op::ReleaseHold { ca_id, serial: *serial, audit }).await
    }

    async fn next_crl_number(&self, ca_id: CaId, floor: u64) -> StoreResult<u64> {
        match self.submit_op(Op::NextCrlNumber { ca_id, floor }).await? {
            Outcome::Number(n) => Ok(n),
            _ => Err(StoreError::Corrupt("writer returned no CRL number".into())),
        }
    }

    async fn store_crl(&self, crl: CrlRecord, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::StoreCrl(Box::new(crl), audit)).await
    }

    async fn store_ocsp_responses(&self, responses: Vec<OcspResponseRecord>, audit: AuditEvent) -> StoreResult<usize> {
        match self.submit_op(Op::StoreOcspResponses(responses, audit)).await? {
            Outcome::Count(n) => Ok(n),
            _ => Err(StoreError::Corrupt("writer returned no count".into())),
        }
    }

    async fn store_ocsp_responder(
        &self,
        responder: OcspResponderRecord,
        resign_all: bool,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        self.unit_op(Op::StoreOcspResponder { responder: Box::new(responder), resign_all, audit }).await
    }

    async fn publisher_lease(&self, what: &str) -> StoreResult<bool> {
        self.lease(what).await
    }

    async fn create_token(&self, token: NewToken, audit: AuditEvent) -> StoreResult<i64> {
        self.id_op(Op::CreateToken(token, audit)).await
    }

    async fn revoke_token(&self, id: i64, at: time::OffsetDateTime, audit: AuditEvent) -> StoreResult<()> {
        self.unit_op(Op::RevokeToken { id, at, audit }).await
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        self.unit_op(Op::Audit(events)).await
    }

    async fn abandon_stale(
        &self,
        before: time::OffsetDateTime,
        at: time::OffsetDateTime,
    ) -> StoreResult<Vec<CertificateRecord>> {
        match self.submit_op(Op::AbandonStale(before, at)).await? {
            Outcome::Abandoned(records) => Ok(records),
            _ => Err(StoreError::Corrupt("writer returned no records".into())),
        }
    }
}
