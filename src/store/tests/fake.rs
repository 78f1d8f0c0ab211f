//! An in-memory assignment API: one document per id with an eTag that changes on every write,
//! `412` on a stale `If-Match`, `404` on a missing id, call counters, latency, and scripted
//! misbehaviour (foreign writes, lost answers, errors).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

use crate::api::types::{Assignment, SyncAccepted};
use crate::api::ApiError;
use crate::store::AssignmentBackend;

/// What the next PUT does (default: [`PutStep::Normal`]).
pub enum PutStep {
    Normal,
    /// Normal, with this much extra latency.
    Delay(Duration),
    /// Refused with this status and code; nothing written.
    Fail(u16, &'static str),
    /// Written, then the answer is lost (ambiguous transport error).
    LandThenLose,
    /// Not written, and the answer is lost (ambiguous transport error).
    Lose,
    /// Another writer changes the document (and eTag) just before this PUT arrives.
    ForeignFirst(Box<dyn FnOnce(&mut Assignment) + Send>),
}

pub struct Fake {
    latency_ms: (u64, u64),
    state: Mutex<FakeState>,
    pub gets: AtomicU32,
    pub puts: AtomicU32,
    pub put_412s: AtomicU32,
    pub syncs_started: AtomicU32,
    pub syncs_in_flight: AtomicU32,
}

#[derive(Default)]
struct FakeState {
    docs: HashMap<String, Assignment>,
    etag_seq: u64,
    put_script: VecDeque<PutStep>,
    /// Every PUT meets a foreign write first (endless contention).
    always_foreign: bool,
    next_get_delay: Option<Duration>,
    sync_latency: Option<Duration>,
    sync_fail_next: Option<(u16, &'static str)>,
    sync_starts: Vec<Instant>,
    /// When each sync request's answer was sent, by request number.
    sync_ends: Vec<(usize, Instant)>,
    /// Extra latency of every call for one profile id.
    slow: HashMap<String, Duration>,
}

pub fn api_error(operation: &str, status: u16, code: &str) -> ApiError {
    ApiError::Api {
        operation: operation.to_owned(),
        status,
        code: code.to_owned(),
        message: format!("fake {code}"),
        request_id: Some("fake-request".into()),
    }
}

fn lost(operation: &str) -> ApiError {
    ApiError::Transport {
        operation: operation.to_owned(),
        message: "the connection broke while reading the answer".into(),
        ambiguous: true,
    }
}

impl Fake {
    /// Every call takes between `lo` and `hi` milliseconds.
    pub fn new(lo: u64, hi: u64) -> Arc<Self> {
        Arc::new(Self {
            latency_ms: (lo, hi),
            state: Mutex::new(FakeState::default()),
            gets: AtomicU32::new(0),
            puts: AtomicU32::new(0),
            put_412s: AtomicU32::new(0),
            syncs_started: AtomicU32::new(0),
            syncs_in_flight: AtomicU32::new(0),
        })
    }

    fn st(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// Stores `doc` under its id with a fresh eTag.
    pub fn insert(&self, mut doc: Assignment) {
        let mut st = self.st();
        st.etag_seq += 1;
        doc.e_tag = format!("\"etag-{}\"", st.etag_seq);
        st.docs.insert(doc.id.clone(), doc);
    }

    pub fn doc(&self, id: &str) -> Assignment {
        self.st().docs.get(id).cloned().unwrap()
    }

    /// A write by someone else: changes the document and its eTag now.
    pub fn foreign_write(&self, id: &str, change: impl FnOnce(&mut Assignment)) {
        let mut st = self.st();
        st.etag_seq += 1;
        let tag = format!("\"etag-{}\"", st.etag_seq);
        let doc = st.docs.get_mut(id).unwrap();
        change(doc);
        doc.e_tag = tag;
    }

    pub fn script_puts(&self, steps: impl IntoIterator<Item = PutStep>) {
        self.st().put_script.extend(steps);
    }

    pub fn set_always_foreign(&self, on: bool) {
        self.st().always_foreign = on;
    }

    pub fn delay_next_get(&self, d: Duration) {
        self.st().next_get_delay = Some(d);
    }

    pub fn set_sync_latency(&self, d: Duration) {
        self.st().sync_latency = Some(d);
    }

    pub fn fail_next_sync(&self, status: u16, code: &'static str) {
        self.st().sync_fail_next = Some((status, code));
    }

    /// (sent, answered) of every sync request that has been answered, in the order sent.
    pub fn sync_spans(&self) -> Vec<(Instant, Instant)> {
        let st = self.st();
        let mut ends = st.sync_ends.clone();
        ends.sort_by_key(|(n, _)| *n);
        ends.into_iter()
            .map(|(n, end)| (st.sync_starts[n], end))
            .collect()
    }

    pub fn slow_profile(&self, id: &str, d: Duration) {
        self.st().slow.insert(id.to_owned(), d);
    }

    pub fn count(counter: &AtomicU32) -> u32 {
        counter.load(Ordering::SeqCst)
    }

    fn latency(&self, id: &str) -> Duration {
        let (lo, hi) = self.latency_ms;
        let base = Duration::from_millis(rand::rng().random_range(lo..=hi));
        base + self.st().slow.get(id).copied().unwrap_or_default()
    }

    fn next_etag(st: &mut FakeState) -> String {
        st.etag_seq += 1;
        format!("\"etag-{}\"", st.etag_seq)
    }
}

#[async_trait::async_trait]
impl AssignmentBackend for Fake {
    async fn get(&self, id: &str) -> Result<Assignment, ApiError> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        // The server reads the document when the request arrives; the answer then travels.
        let (snapshot, extra) = {
            let mut st = self.st();
            (st.docs.get(id).cloned(), st.next_get_delay.take())
        };
        tokio::time::sleep(self.latency(id) + extra.unwrap_or_default()).await;
        snapshot.ok_or_else(|| api_error(&format!("reading {id}"), 404, "NotFound"))
    }

    async fn put(&self, id: &str, e_tag: &str, doc: &Assignment) -> Result<Assignment, ApiError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        let operation = format!("updating {id}");
        let latency = self.latency(id);
        // The server decides when the request arrives; the answer then travels.
        let (result, extra) = {
            let mut st = self.st();
            let step = st.put_script.pop_front().unwrap_or(PutStep::Normal);
            let (step, foreign): (PutStep, Option<Box<dyn FnOnce(&mut Assignment) + Send>>) =
                match step {
                    PutStep::ForeignFirst(f) => (PutStep::Normal, Some(f)),
                    s if st.always_foreign => (
                        s,
                        Some(Box::new(|d: &mut Assignment| d.description.push('+'))),
                    ),
                    s => (s, None),
                };
            if let Some(change) = foreign {
                let tag = Self::next_etag(&mut st);
                if let Some(current) = st.docs.get_mut(id) {
                    change(current);
                    current.e_tag = tag;
                }
            }
            let extra = match step {
                PutStep::Delay(d) => d,
                _ => Duration::ZERO,
            };
            let result = match st.docs.get(id).map(|d| d.e_tag.clone()) {
                None => Err(api_error(&operation, 404, "NotFound")),
                Some(current) if current != e_tag => {
                    self.put_412s.fetch_add(1, Ordering::SeqCst);
                    Err(api_error(&operation, 412, "PreconditionFailed"))
                }
                Some(_) => match step {
                    PutStep::Fail(status, code) => Err(api_error(&operation, status, code)),
                    PutStep::Lose => Err(lost(&operation)),
                    PutStep::Normal
                    | PutStep::Delay(_)
                    | PutStep::ForeignFirst(_)
                    | PutStep::LandThenLose => {
                        let mut written = doc.clone();
                        written.e_tag = Self::next_etag(&mut st);
                        st.docs.insert(id.to_owned(), written.clone());
                        if matches!(step, PutStep::LandThenLose) {
                            Err(lost(&operation))
                        } else {
                            Ok(written)
                        }
                    }
                },
            };
            (result, extra)
        };
        tokio::time::sleep(latency + extra).await;
        result
    }

    async fn sync(&self, id: &str) -> Result<SyncAccepted, ApiError> {
        self.syncs_started.fetch_add(1, Ordering::SeqCst);
        self.syncs_in_flight.fetch_add(1, Ordering::SeqCst);
        let (n, latency, fail) = {
            let mut st = self.st();
            st.sync_starts.push(Instant::now());
            (
                st.sync_starts.len() - 1,
                st.sync_latency,
                st.sync_fail_next.take(),
            )
        };
        tokio::time::sleep(latency.unwrap_or_else(|| self.latency(id))).await;
        self.st().sync_ends.push((n, Instant::now()));
        self.syncs_in_flight.fetch_sub(1, Ordering::SeqCst);
        match fail {
            Some((status, code)) => {
                Err(api_error(&format!("starting a sync of {id}"), status, code))
            }
            None => Ok(SyncAccepted {
                assignment_id: id.to_owned(),
                sync_units: 1,
            }),
        }
    }
}
