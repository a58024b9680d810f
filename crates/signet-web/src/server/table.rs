//! The table of open connections: how many there are, which are waiting for a request and since
//! when, and which one to close when the table is full.
//!
//! A connection waiting for a request (a new one whose head has not arrived, or a kept-alive one
//! between requests) can be closed to make room; one running a request cannot. So a flood of
//! connections that never send a complete request head (slowloris, half-open) cannot keep a real
//! client out: when the table is full, the connection that has waited longest is closed for the
//! newcomer, and a client that sends its request at once is never the longest waiting.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio::time::{Duration, Instant};

/// The open connections, at most `max`.
pub(crate) struct Table {
    max: usize,
    state: Mutex<State>,
    /// Signalled when a connection closes or starts to wait (room may be made).
    room: Notify,
}

struct State {
    /// Connections counted against `max`: from admission until their task ends.
    live: usize,
    /// Of those, the ones told to close that have not closed yet.
    leaving: usize,
    /// Connections waiting for a request, by when they started waiting (oldest first).
    waiting: BTreeMap<u64, Arc<Slot>>,
    next_key: u64,
}

/// One connection's entry.
pub(crate) struct Slot {
    /// Told to close (to make room); the connection task listens.
    evicted: Notify,
    /// Signalled when a request ends, so the connection task can start its idle timer again.
    changed: Notify,
    /// Lock order: the table's state first, then this.
    inner: Mutex<SlotState>,
}

struct SlotState {
    /// Its key in `waiting` while it waits for a request.
    waiting_key: Option<u64>,
    /// Requests running (HTTP/1.1 runs one at a time; counted to be safe).
    running: u32,
    /// When it started waiting: admission, or the end of its last request.
    waiting_since: Instant,
    /// Whether a request has ended on it (it is then a kept-alive connection).
    served: bool,
    /// Told to close; not to be chosen again, and not to wait again.
    leaving: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent at every unlock, so a panic elsewhere leaves it usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Table {
    /// A table for at most `max` connections (at least one).
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max: max.max(1),
            state: Mutex::new(State { live: 0, leaving: 0, waiting: BTreeMap::new(), next_key: 0 }),
            room: Notify::new(),
        })
    }

    /// Room for one more connection: at once if there is some; else the connection waiting
    /// longest for a request is told to close and this waits until it has; if every connection
    /// is running a request, this waits for one to end (new connections queue in the kernel).
    pub(crate) async fn admit(self: &Arc<Self>) -> Arc<Slot> {
        loop {
            let room = self.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            {
                let mut state = lock(&self.state);
                if state.live < self.max {
                    state.live += 1;
                    let slot = Arc::new(Slot {
                        evicted: Notify::new(),
                        changed: Notify::new(),
                        inner: Mutex::new(SlotState {
                            waiting_key: None,
                            running: 0,
                            waiting_since: Instant::now(),
                            served: false,
                            leaving: false,
                        }),
                    });
                    Self::wait(&mut state, &slot, &mut lock(&slot.inner));
                    return slot;
                }
                // Departures already asked for will make the room; ask for one only if none is.
                if state.live - state.leaving >= self.max
                    && let Some((_, victim)) = state.waiting.pop_first()
                {
                    Self::mark_leaving(&mut state, &mut lock(&victim.inner));
                    victim.evicted.notify_one();
                    tracing::debug!("connection table full: closing the connection that waited longest");
                }
            }
            room.await;
        }
    }

    fn wait(state: &mut State, slot: &Arc<Slot>, inner: &mut SlotState) {
        let key = state.next_key;
        state.next_key += 1;
        state.waiting.insert(key, slot.clone());
        inner.waiting_key = Some(key);
        inner.waiting_since = Instant::now();
    }

    fn mark_leaving(state: &mut State, inner: &mut SlotState) {
        if !inner.leaving {
            inner.leaving = true;
            inner.waiting_key = None;
            state.leaving += 1;
        }
    }

    /// A request began on `slot`'s connection: it is not closed to make room until it ends.
    pub(crate) fn begin(self: &Arc<Self>, slot: &Arc<Slot>) -> Running {
        let mut state = lock(&self.state);
        let mut inner = lock(&slot.inner);
        if let Some(key) = inner.waiting_key.take() {
            state.waiting.remove(&key);
        }
        inner.running += 1;
        Running { table: self.clone(), slot: slot.clone() }
    }

    fn end(&self, slot: &Arc<Slot>) {
        {
            let mut state = lock(&self.state);
            let mut inner = lock(&slot.inner);
            inner.running = inner.running.saturating_sub(1);
            inner.served = true;
            if inner.running == 0 && !inner.leaving {
                Self::wait(&mut state, slot, &mut inner);
            }
        }
        slot.changed.notify_one();
        self.room.notify_one();
    }

    /// When `slot`'s connection has waited too long for a request: `header_timeout` after it
    /// opened for its first, `keep_alive` after its last ended; `None` while one runs.
    pub(crate) fn deadline(slot: &Slot, header_timeout: Duration, keep_alive: Option<Duration>) -> Option<Instant> {
        let inner = lock(&slot.inner);
        if inner.running > 0 {
            return None;
        }
        let limit = if inner.served { keep_alive.unwrap_or(Duration::ZERO) } else { header_timeout };
        Some(inner.waiting_since + limit)
    }

    /// Whether `slot`'s connection has neither a request running nor one answered (so nothing
    /// is lost by dropping it). Exact when asked from the task polling the connection, which is
    /// the only place its requests begin.
    pub(crate) fn nothing_to_answer(slot: &Slot) -> bool {
        let inner = lock(&slot.inner);
        inner.running == 0 && !inner.served
    }

    /// Marks `slot`'s connection as closing for another reason (idle, shutdown): it is no longer
    /// chosen to make room, and its departure counts as room on the way.
    pub(crate) fn retire(&self, slot: &Slot) {
        let mut state = lock(&self.state);
        let mut inner = lock(&slot.inner);
        if let Some(key) = inner.waiting_key {
            state.waiting.remove(&key);
        }
        Self::mark_leaving(&mut state, &mut inner);
    }

    /// `slot`'s connection has closed.
    pub(crate) fn leave(&self, slot: &Slot) {
        {
            let mut state = lock(&self.state);
            let inner = lock(&slot.inner);
            if let Some(key) = inner.waiting_key {
                state.waiting.remove(&key);
            }
            if inner.leaving {
                state.leaving = state.leaving.saturating_sub(1);
            }
            state.live = state.live.saturating_sub(1);
        }
        self.room.notify_one();
    }

    /// Connections open now.
    #[cfg(test)]
    fn live(&self) -> usize {
        lock(&self.state).live
    }
}

impl Slot {
    /// Resolves when the table asks this connection to close to make room.
    pub(crate) async fn evicted(&self) {
        self.evicted.notified().await;
    }

    /// Resolves when a request on this connection has ended.
    pub(crate) async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// A request running on a connection; dropping it ends the request.
pub(crate) struct Running {
    table: Arc<Table>,
    slot: Arc<Slot>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.table.end(&self.slot);
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    fn ready<F: Future>(future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(value) => Some(value),
            Poll::Pending => None,
        }
    }

    #[tokio::test]
    async fn a_full_table_closes_the_connection_that_waited_longest() {
        let table = Table::new(3);
        let first = table.admit().await;
        let second = table.admit().await;
        let third = table.admit().await;
        let _busy = table.begin(&first);
        // Full: the fourth makes `second` leave (the longest waiting; `first` runs a request).
        let mut fourth = Box::pin(table.admit());
        assert!(ready(fourth.as_mut()).is_none(), "no room until a connection has left");
        assert!(ready(second.evicted()).is_some(), "the longest-waiting connection is told to close");
        assert!(ready(third.evicted()).is_none(), "only one is told");
        assert!(ready(first.evicted()).is_none(), "a connection running a request is kept");
        table.leave(&second);
        let _fourth = fourth.await;
        assert_eq!(table.live(), 3);
    }

    #[tokio::test]
    async fn a_table_of_busy_connections_waits_without_closing_any() {
        let table = Table::new(2);
        let (a, b) = (table.admit().await, table.admit().await);
        let running_a = table.begin(&a);
        let _running_b = table.begin(&b);
        let mut next = Box::pin(table.admit());
        assert!(ready(next.as_mut()).is_none());
        assert!(ready(a.evicted()).is_none() && ready(b.evicted()).is_none());
        // `a` finishes its request and waits: it is the one to make room.
        drop(running_a);
        assert!(ready(next.as_mut()).is_none());
        assert!(ready(a.evicted()).is_some());
        table.leave(&a);
        next.await;
    }

    #[tokio::test]
    async fn a_connection_served_again_becomes_the_newest() {
        let table = Table::new(2);
        let (a, b) = (table.admit().await, table.admit().await);
        drop(table.begin(&a)); // `a` served a request after `b` arrived: `b` has waited longer
        let mut next = Box::pin(table.admit());
        assert!(ready(next.as_mut()).is_none());
        assert!(ready(b.evicted()).is_some());
        assert!(ready(a.evicted()).is_none());
    }

    #[tokio::test]
    async fn deadlines_follow_the_phase_of_the_connection() {
        let table = Table::new(1);
        let slot = table.admit().await;
        let (header, keep_alive) = (Duration::from_secs(10), Some(Duration::from_secs(5)));
        let before = Instant::now();
        assert!(Table::deadline(&slot, header, keep_alive).unwrap() <= before + header, "the head is due");
        let running = table.begin(&slot);
        assert_eq!(Table::deadline(&slot, header, keep_alive), None, "no deadline while a request runs");
        let ended = Instant::now();
        drop(running);
        let kept = Table::deadline(&slot, header, keep_alive).unwrap();
        assert!(kept >= ended + Duration::from_secs(5) && kept <= Instant::now() + Duration::from_secs(5));
        assert!(Table::deadline(&slot, header, None).unwrap() <= Instant::now(), "without keep-alive it is due");
        table.retire(&slot);
        table.leave(&slot);
        assert_eq!(table.live(), 0);
    }
}
