//! What JS never ran: calls of BareFns and reports of their errors that could not be delivered
//! because their env was gone (`process.exit()`, an uncaught exception, a terminated worker, calls
//! arriving after teardown), summed up in one line on stderr when the process exits.
//!
//! Work queued when the event loop ends is not lost: src/lib/bare-fn.ts runs it at 'beforeExit'
//! (`Dispatcher::run_pending`). What remains is only what JS could no longer run; without this
//! line a script whose nonblocking calls vanished would end with code 0 and no word.
//!
//! Counted only once an env is closing, so the calls of a live program never come here. A thread
//! flooding a BareFn after teardown, or the teardown retiring a million queued calls, finds the
//! BareFn's counters in a one-entry cache of its own: an atomic add per call, no lock, no
//! allocation (under one lock per call, four flooding threads made an exit take 250 ms).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// Dropped work of one BareFn.
struct Entry {
    /// "BareFn (i32) -> void ('nonblocking', created at …)".
    what: String,
    calls: AtomicU64,
    reports: AtomicU64,
}

/// Entries by the address of the BareFn's callback state, in the order they were first counted.
#[derive(Default)]
struct Ledger {
    at: HashMap<usize, Arc<Entry>>,
    entries: Vec<Arc<Entry>>,
}

static LEDGER: LazyLock<Mutex<Ledger>> = LazyLock::new(Mutex::default);

/// Set once the line is printed: what is dropped later (threads still calling while the process
/// exits) has nowhere to go.
static PRINTED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The entry this thread counted last, with its key.
    static LAST: RefCell<Option<(usize, Arc<Entry>)>> = const { RefCell::new(None) };
}

fn ledger() -> std::sync::MutexGuard<'static, Ledger> {
    // Counts only: a panic elsewhere cannot leave them inconsistent.
    LEDGER.lock().unwrap_or_else(|e| e.into_inner())
}

/// The entry of `key`, made with `what` if it is new.
fn entry(key: usize, what: impl FnOnce() -> String) -> Arc<Entry> {
    let mut ledger = ledger();
    let Ledger { at, entries } = &mut *ledger;
    at.entry(key)
        .or_insert_with(|| {
            let entry = Arc::new(Entry {
                what: what(),
                calls: AtomicU64::new(0),
                reports: AtomicU64::new(0),
            });
            entries.push(entry.clone());
            entry
        })
        .clone()
}

/// Counts `calls` calls and `reports` error reports of the BareFn whose callback state is at
/// `key`; `what` describes it (only asked for on its first count).
pub fn count(key: usize, what: impl FnOnce() -> String, calls: u64, reports: u64) {
    if PRINTED.load(Ordering::Acquire) {
        return; // the process is past its last word
    }
    let add = |entry: &Entry| {
        entry.calls.fetch_add(calls, Ordering::Relaxed);
        entry.reports.fetch_add(reports, Ordering::Relaxed);
    };
    let cached = LAST.try_with(|last| {
        let mut last = last.borrow_mut();
        match &*last {
            Some((at, entry)) if *at == key => add(entry),
            _ => {
                let entry = entry(key, what);
                add(&entry);
                *last = Some((key, entry));
            }
        }
    });
    if cached.is_err() {
        // This thread is exiting (its cache is gone): through the ledger.
        add(&entry(key, || "a BareFn".into()));
    }
}

/// How many BareFns the line names; the rest are counted.
const NAMED: usize = 3;

/// The line, or None when nothing was dropped.
fn summary(entries: &[Arc<Entry>]) -> Option<String> {
    fn counted(e: &Arc<Entry>) -> Option<(&str, (u64, u64))> {
        let counts = (
            e.calls.load(Ordering::Relaxed),
            e.reports.load(Ordering::Relaxed),
        );
        (counts != (0, 0)).then_some((e.what.as_str(), counts))
    }
    let entries: Vec<(&str, (u64, u64))> = entries.iter().filter_map(counted).collect();
    if entries.is_empty() {
        return None;
    }
    let calls: u64 = entries.iter().map(|(_, (calls, _))| calls).sum();
    let reports: u64 = entries.iter().map(|(_, (_, reports))| reports).sum();
    let mut line = format!(
        "bare-fn: at exit, {} (their thread's JS had ended: process.exit(), an uncaught \
         exception, a terminated worker, or calls after teardown):",
        counts(calls, reports, true),
    );
    for (i, (what, (calls, reports))) in entries.iter().take(NAMED).enumerate() {
        let separator = if i == 0 { " " } else { "; " };
        let counts = counts(*calls, *reports, false);
        let _ = write!(line, "{separator}{counts} of {what}");
    }
    if entries.len() > NAMED {
        let _ = write!(line, "; and of {} more BareFns", entries.len() - NAMED);
    }
    Some(line)
}

/// "3 calls and 1 error report", either alone when the other is 0; `verbs` puts "JS never ran"
/// and "never saw" before them.
fn counts(calls: u64, reports: u64, verbs: bool) -> String {
    let (ran, saw) = if verbs {
        ("JS never ran ", "never saw ")
    } else {
        ("", "")
    };
    let mut parts = Vec::new();
    if calls > 0 {
        parts.push(format!("{ran}{}", plural(calls, "call")));
    }
    if reports > 0 {
        parts.push(format!("{saw}{}", plural(reports, "error report")));
    }
    parts.join(" and ")
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Prints the line, once (dispatch.rs calls it at process exit); what is dropped later is not
/// counted.
pub fn print() {
    if PRINTED.swap(true, Ordering::AcqRel) {
        return;
    }
    if let Some(line) = summary(&ledger().entries) {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(what: &str, calls: u64, reports: u64) -> Arc<Entry> {
        Arc::new(Entry {
            what: what.into(),
            calls: AtomicU64::new(calls),
            reports: AtomicU64::new(reports),
        })
    }

    #[test]
    fn nothing_dropped_prints_nothing() {
        assert_eq!(summary(&[]), None);
    }

    #[test]
    fn the_line_names_three_bare_fns_and_counts_the_rest() {
        let entries = [
            entry("A", 1000, 0),
            entry("B", 0, 1),
            entry("C", 2, 3),
            entry("D", 1, 0),
            entry("E", 1, 0),
            entry("never counted", 0, 0),
        ];
        let only_calls = summary(&entries[..1]).unwrap();
        assert!(only_calls.starts_with("bare-fn: at exit, JS never ran 1000 calls (their"));
        assert!(only_calls.ends_with("teardown): 1000 calls of A"));
        assert_eq!(
            summary(&entries).unwrap(),
            "bare-fn: at exit, JS never ran 1004 calls and never saw 4 error reports (their \
             thread's JS had ended: process.exit(), an uncaught exception, a terminated worker, \
             or calls after teardown): 1000 calls of A; 1 error report of B; 2 calls and 3 \
             error reports of C; and of 2 more BareFns"
        );
    }
}
