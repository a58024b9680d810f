//! The issuance path on PostgreSQL, pipelined: BEGIN, every operation, the audit entries and
//! COMMIT sent together, one round trip when this writer trusts the audit head it last committed
//! (the audit write still checks it, migration 0003); otherwise the head is read and locked first,
//! a round trip more.

use std::collections::VecDeque;

use signet_store::StoreResult;

use super::apply::with_target;
use super::journal::{AuditHead, Journal, load_head};
use super::op::{Job, Op, Outcome};
use super::statements::{
    COMPLETE_OR_REFUSE_PG, SUBMIT_AND_RESERVE_PG, completion_values, request_values, reservation_values,
};
use crate::Dialect;
use crate::db::{Db, DbError, Step, Value};
use crate::rows;

/// Request ids taken from the PostgreSQL sequence at a time, so that a batch's audit entries,
/// which name the new requests, can be written before the requests come back.
const IDS_AHEAD: i64 = 16;

/// Runs a batch as one pipeline. Possible when every operation is a new request's reservation (its
/// id taken ahead from the sequence, so its audit entry can name it; not an ACME order's, which
/// its order may refuse) or a completion (which raises
/// an error rather than change nothing, migration 0005). Any error aborts the transaction, so the
/// COMMIT behind it commits nothing. None, with nothing written, when the batch has another kind
/// of operation or one was refused: the caller then runs it statement by statement, which says why.
pub(crate) fn execute_pipelined(
    db: &mut dyn Db,
    batch: &[Job],
    begin: &'static str,
    head: &mut Option<AuditHead>,
    trust_head: bool,
    ids: &mut VecDeque<i64>,
) -> Result<Option<Vec<StoreResult<Outcome>>>, DbError> {
    let mut needed = 0;
    for job in batch {
        match &job.op {
            // An ACME finalize's request is linked to its order, which may refuse it: by statement.
            Op::SubmitAndReserve(request, ..) if request.acme_order.is_none() => needed += 1,
            Op::Complete(..) => {}
            _ => return Ok(None),
        }
    }
    if ids.len() < needed {
        let want = IDS_AHEAD.max(i64::try_from(needed).unwrap_or(IDS_AHEAD));
        let taken =
            db.query("SELECT nextval('requests_id_seq') AS id FROM generate_series(1, $1)", &[Value::Int(want)])?;
        for row in &taken {
            ids.push_back(rows::int(row, "id").map_err(|e| DbError::Other(e.to_string()))?);
        }
    }
    let mut steps = Vec::with_capacity(batch.len() + 3);
    let mut journal = Journal::default();
    let mut outcomes = Vec::with_capacity(batch.len());
    for job in batch {
        let planned = match &job.op {
            Op::SubmitAndReserve(request, reservation, event) => ids.pop_front().and_then(|id| {
                journal.append(&with_target(event, id)).ok()?;
                let params = [request_values(request), reservation_values(reservation), vec![Value::Int(id)]].concat();
                Some((Step::Query(SUBMIT_AND_RESERVE_PG.into(), params), Outcome::Id(id)))
            }),
            Op::Complete(completion, events) => events
                .iter()
                .try_for_each(|event| journal.append(event))
                .ok()
                .map(|()| (Step::Query(COMPLETE_OR_REFUSE_PG.into(), completion_values(completion)), Outcome::Done)),
            _ => None,
        };
        let Some((step, outcome)) = planned else { return Ok(None) };
        steps.push(step);
        outcomes.push(Ok(outcome));
    }
    // Forgotten until the commit is known to have happened.
    let start = match head.take().filter(|_| trust_head) {
        Some(known) => {
            steps.insert(0, Step::Script(begin));
            known
        }
        None => {
            db.script(begin)?;
            load_head(db)?
        }
    };
    let (statements, moved) = journal.statements_after(Dialect::Postgres, start);
    steps.extend(statements.into_iter().map(|(sql, params)| Step::Query(sql.into(), params)));
    steps.push(Step::Script("COMMIT"));
    let answers = db.pipeline(&steps)?;
    if let Some(why) = answers.iter().find_map(|a| match a {
        Err(DbError::Retry(why)) => Some(why.clone()),
        _ => None,
    }) {
        return Err(DbError::Retry(why));
    }
    if answers.iter().any(Result::is_err) {
        // The transaction was aborted and the COMMIT rolled it back; this only ends it for sure.
        db.script("ROLLBACK")?;
        return Ok(None);
    }
    *head = Some(moved);
    Ok(Some(outcomes))
}
