//! Calls from threads other than the owning one: queued to it ('blocking' waits for the result,
//! 'nonblocking' does not), or refused ('local'), with their errors posted to it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bare_fn_core::rendezvous::{Completion, SpinPolicy, Unfinished};
use bare_fn_core::{Frame, Input, MAX_ARGS};

use super::{JsCallback, Payload};
use crate::dispatch::{Args, Job, Recipient, Sent};
use crate::os_thread;
use crate::raw::Failure;
use crate::report::Kind;
use crate::text::OwnedText;
use crate::threading_mode::Mode;

thread_local! {
    /// On a thread that calls 'blocking' BareFns of another (JS) thread: the C string the last call
    /// of each BareFn from this thread returned, by BareFn, valid until its next call from this
    /// thread. The owning thread keeps its own callers' strings in the BareFn (`Returned`); one
    /// slot for all threads let a thread's call free another thread's string. Freed with the
    /// thread; a disposed BareFn's string stays until then (its address may be reused by another
    /// BareFn, whose next call from here replaces it).
    static RETURNED_HERE: RefCell<HashMap<usize, OwnedText>> = RefCell::new(HashMap::new());
}

impl JsCallback {
    /// Keeps `string`, returned by a call of this BareFn from this (foreign) thread, until its
    /// next call from this thread.
    fn keep_returned_here(&self, string: Option<OwnedText>) {
        let key = self as *const JsCallback as usize;
        // In a cell the closure may not run: if it does not (the thread is exiting), the string
        // must be forgotten, not dropped with the closure.
        let mut string = Some(string);
        let kept = RETURNED_HERE.try_with(|here| {
            let mut here = here.borrow_mut();
            match string.take().flatten() {
                Some(string) => here.insert(key, string),
                None => here.remove(&key),
            }
        });
        if kept.is_err() {
            // This thread is exiting: the caller still gets the pointer, so the string stays.
            std::mem::forget(string);
        }
    }

    /// A native call on a thread other than the owning one.
    pub(super) fn call_from_other_thread(self: Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        if self.dispatcher.is_closed() {
            // Nothing to queue, copy or report: a thread flooding a BareFn whose env is gone gets
            // the fallback at once (it queued and dropped a job per call, growing the process
            // by 200 MB while it exited).
            self.dropped_call();
            return self.fallback;
        }
        if self.disposed.load(Ordering::Acquire) {
            return self.post_failure(|| self.after_dispose_failure(), Kind::AfterDispose);
        }
        match self.mode {
            Mode::Local => {
                let failure = || {
                    Failure::error(format!(
                        "BareFn {} called from thread {}; it is 'local' to thread {}",
                        self.sig,
                        os_thread::os_id(),
                        self.dispatcher.owner_os_id()
                    ))
                };
                self.post_failure(failure, Kind::WrongThread)
            }
            Mode::Nonblocking => self.queue_nonblocking(frame),
            Mode::Blocking { timeout, settle } => {
                let completion = Arc::new(Completion::<Payload>::new());
                let job = self.queued_call(frame, Some(completion.clone()));
                if !self.dispatcher.send(job) {
                    self.dropped_call(); // the env closed meanwhile
                    return self.fallback;
                }
                let waited = completion.wait(
                    SpinPolicy::process(),
                    timeout.duration(),
                    settle.duration(),
                    || self.dispatcher.is_closed(),
                );
                waited
                    .inspect(|_| match completion.take_payload() {
                        Some(Payload::String(string)) => self.keep_returned_here(Some(string)),
                        Some(Payload::Struct(bytes)) => {
                            frame.return_struct(&self.sig, &bytes);
                        }
                        None if self.sig.ret().scalar().is_some_and(|t| t.text().is_some()) => {
                            self.keep_returned_here(None);
                        }
                        None => {}
                    })
                    .unwrap_or_else(|unfinished| {
                        let failure = match unfinished {
                            Unfinished::NotTaken => {
                                // Its job must not wait in the queue for nobody (a thread that
                                // timed out calls again, and the queue grew by a job per timeout
                                // while JS was busy).
                                self.dispatcher.withdraw(&completion);
                                format!(
                                    "thread {} did not take the call within {} ms (busy, or \
                                     blocked waiting for the calling thread)",
                                    self.dispatcher.owner_os_id(),
                                    timeout.ms()
                                )
                            }
                            Unfinished::NotSettled => format!(
                                "the Promise its callback returned did not settle within {} ms \
                                 (settleTimeoutMs)",
                                settle.ms()
                            ),
                        };
                        let failure = || {
                            Failure::error(format!(
                                "BareFn {} called from thread {}: {failure}; the caller got the \
                                 fallback",
                                self.sig,
                                os_thread::os_id(),
                            ))
                        };
                        self.post_failure(failure, Kind::Timeout)
                    })
            }
        }
    }

    /// Queues a nonblocking call; one that finds the queue full is dropped and reported.
    fn queue_nonblocking(self: &Arc<Self>, frame: &Frame<'_>) -> u64 {
        let job = self.queued_call(frame, None);
        let (waiting, bytes) = match self.dispatcher.send_bounded(job) {
            Sent::Queued => return self.fallback,
            Sent::Closed => {
                self.dropped_call(); // the env closed meanwhile
                return self.fallback;
            }
            Sent::Full { waiting, bytes } => (waiting, bytes),
        };
        let failure = || {
            let full = match bytes {
                None => format!("{waiting} calls waiting, BareFn.queueLimit"),
                Some(bytes) => format!(
                    "{waiting} calls of {bytes} bytes waiting, at most BareFn.queueLimit × {} \
                     bytes",
                    crate::dispatch::BYTES_PER_CALL
                ),
            };
            Failure::error(format!(
                "BareFn {} called from thread {}: the queue to thread {} is full ({full}), so \
                 the call was dropped",
                self.sig,
                os_thread::os_id(),
                self.dispatcher.owner_os_id(),
            ))
        };
        self.post_failure(failure, Kind::QueueFull)
    }

    /// This call as a job for the owning thread.
    fn queued_call(
        self: &Arc<Self>,
        frame: &Frame<'_>,
        completion: Option<Arc<Completion<Payload>>>,
    ) -> Job {
        let mut args = Args {
            raw: [0; MAX_ARGS],
            strings: Vec::new(),
            bytes: Vec::new(),
            returned: RefCell::new(None),
            // A waiting caller on the pool thread of an async call: its errors reject that call.
            origin: completion
                .as_ref()
                .and_then(|_| crate::outgoing::running_async()),
        };
        for (slot, input) in args.raw.iter_mut().zip(self.sig.inputs()) {
            let input = match input {
                Input::Scalar(input) => input,
                Input::Struct(input) => {
                    // The job gets a copy; its raw value is the copy's offset in `bytes`.
                    *slot = args.bytes.len() as u64;
                    args.bytes.resize(args.bytes.len() + input.size, 0);
                    let at = *slot as usize;
                    frame.read_struct(input, &mut args.bytes[at..]);
                    // Its C strings too, as a cstring argument's: the caller's memory may be
                    // gone when the job runs.
                    for &(offset, text) in &input.strings {
                        let field = &mut args.bytes[at + offset..][..size_of::<usize>()];
                        let pointer = usize::from_ne_bytes(field.try_into().unwrap_or_default());
                        if pointer != 0 {
                            // SAFETY: as for a string argument below; the struct was passed
                            // by value with this member, a C string of `text` or NULL.
                            let copy = unsafe { OwnedText::copy(pointer as u64, text) };
                            field.copy_from_slice(&(copy.address() as usize).to_ne_bytes());
                            args.strings.push(copy);
                        }
                    }
                    continue;
                }
            };
            *slot = input.decode(frame);
            if let (Some(text), true) = (input.ty.text(), *slot != 0) {
                // SAFETY: a non-NULL string argument points to a NUL-terminated string of its
                // encoding for the duration of the native call, which is now. The job gets its
                // own copy.
                let copy = unsafe { OwnedText::copy(*slot, text) };
                *slot = copy.address();
                args.strings.push(copy);
            }
        }
        Job::Call {
            callback: self.clone(),
            args,
            completion,
        }
    }

    /// Sends an error to the owning thread (dropped when its env is gone), or counts it when a
    /// report of this BareFn is already queued; returns the fallback. `failure` is only built
    /// when the report is queued.
    pub(super) fn post_failure(
        self: &Arc<Self>,
        failure: impl FnOnce() -> Failure,
        kind: Kind,
    ) -> u64 {
        if self.report_queued.swap(true, Ordering::AcqRel) {
            self.reports_coalesced.fetch_add(1, Ordering::Relaxed);
            return self.fallback;
        }
        let sent = self.dispatcher.send(Job::Report {
            callback: self.clone(),
            failure: failure(),
            kind,
        });
        if !sent {
            // An env that is gone has nobody to tell: counted for the line at exit.
            self.report_dropped();
        }
        self.fallback
    }
}
