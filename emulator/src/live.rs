//! Live queries' bookkeeping (spec §4.2): which `subscribe-query` streams are open, which
//! namespaces each one's query reads, and the signals that wake a stream to recompute or end it.
//!
//! Writes do not call in here themselves: the store notes the namespaces every write changes
//! ([`crate::store::Changes`]) and [`crate::StoreGuard`] hands them over when the store lock is
//! released after a commit. The routes that change what a query may see without touching data
//! (rules, a new app, a reset) call [`Live::changed_app`] / [`Live::changed_all`].

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;
use uuid::Uuid;

/// How one stream is told what to do next. `wake` and `kill` keep one permit each, so a
/// burst of wake-ups while the stream is busy collapses into one recomputation that sees the
/// newest state (bursts coalesce; the last state is never missed).
#[derive(Debug, Default)]
pub struct Signals {
    /// Something the query reads has changed.
    pub wake: Notify,
    /// End the stream abruptly (`POST /__emulator/sse/drop`).
    pub kill: Notify,
    /// Set before `kill` fires, for the response body to see.
    pub killed: AtomicBool,
}

impl Signals {
    /// Whether the stream was told to end.
    pub fn is_killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

struct Stream {
    app_id: Uuid,
    /// Namespaces the stream's query reads; `None` when it has no live query (it failed).
    reads: Option<BTreeSet<String>>,
    signals: Arc<Signals>,
}

/// Every open `subscribe-query` stream of the emulator.
#[derive(Default)]
pub struct Live {
    streams: Mutex<HashMap<u64, Stream>>,
    next_id: std::sync::atomic::AtomicU64,
}

/// What `GET /__emulator/sse` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Open streams.
    pub connections: usize,
    /// Open streams whose query is live (not dropped after an error).
    pub subscriptions: usize,
}

impl Live {
    fn streams(&self) -> MutexGuard<'_, HashMap<u64, Stream>> {
        self.streams.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a new stream of `app_id` (no live query yet); returns its id and signals.
    pub fn open(&self, app_id: Uuid) -> (u64, Arc<Signals>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let signals = Arc::new(Signals::default());
        self.streams().insert(id, Stream { app_id, reads: None, signals: signals.clone() });
        (id, signals)
    }

    /// Sets the namespaces stream `id` reads (`None`: its query was dropped).
    pub fn set_reads(&self, id: u64, reads: Option<BTreeSet<String>>) {
        if let Some(stream) = self.streams().get_mut(&id) {
            stream.reads = reads;
        }
    }

    /// Forgets stream `id` (its client went away, or it was dropped).
    pub fn close(&self, id: u64) {
        self.streams().remove(&id);
    }

    /// Wakes the streams of `app_id` whose query reads any of `namespaces`.
    pub fn changed(&self, app_id: Uuid, namespaces: &BTreeSet<String>) {
        for stream in self.streams().values() {
            let reads_one = stream.reads.as_ref().is_some_and(|reads| !reads.is_disjoint(namespaces));
            if stream.app_id == app_id && reads_one {
                stream.signals.wake.notify_one();
            }
        }
    }

    /// Wakes every live stream of `app_id` (its rules changed, or it was created).
    pub fn changed_app(&self, app_id: Uuid) {
        for stream in self.streams().values().filter(|s| s.app_id == app_id && s.reads.is_some()) {
            stream.signals.wake.notify_one();
        }
    }

    /// Wakes every live stream (the emulator was reset).
    pub fn changed_all(&self) {
        for stream in self.streams().values().filter(|s| s.reads.is_some()) {
            stream.signals.wake.notify_one();
        }
    }

    /// Ends every stream (of `app_id` only, when given) abruptly; returns how many.
    pub fn drop_streams(&self, app_id: Option<Uuid>) -> usize {
        let mut streams = self.streams();
        let doomed: Vec<u64> = streams.iter().filter(|(_, s)| app_id.is_none_or(|app| s.app_id == app)).map(|(id, _)| *id).collect();
        for id in &doomed {
            if let Some(stream) = streams.remove(id) {
                stream.signals.killed.store(true, Ordering::SeqCst);
                stream.signals.kill.notify_one();
            }
        }
        doomed.len()
    }

    /// Open streams and live queries.
    pub fn counts(&self) -> Counts {
        let streams = self.streams();
        Counts { connections: streams.len(), subscriptions: streams.values().filter(|s| s.reads.is_some()).count() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[tokio::test]
    async fn only_streams_reading_a_changed_namespace_wake() {
        let live = Live::default();
        let app = Uuid::new_v4();
        let (goals, goals_signals) = live.open(app);
        let (users, users_signals) = live.open(app);
        let (other_app, other_signals) = live.open(Uuid::new_v4());
        live.set_reads(goals, Some(set(&["goals", "todos"])));
        live.set_reads(users, Some(set(&["$users"])));
        live.set_reads(other_app, Some(set(&["goals"])));
        live.changed(app, &set(&["todos", "tags"]));
        let woke = |signals: &Arc<Signals>| {
            let notified = signals.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable()
        };
        assert!(woke(&goals_signals));
        assert!(!woke(&users_signals));
        assert!(!woke(&other_signals));
        assert_eq!(live.counts(), Counts { connections: 3, subscriptions: 3 });
        live.set_reads(users, None);
        assert_eq!(live.counts(), Counts { connections: 3, subscriptions: 2 });
        assert_eq!(live.drop_streams(Some(app)), 2);
        assert!(goals_signals.is_killed() && !other_signals.is_killed());
        live.close(other_app);
        assert_eq!(live.counts(), Counts { connections: 0, subscriptions: 0 });
    }
}
