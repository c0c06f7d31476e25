//! The handler behind every BareFn thunk: turns one native call into one JS call. This file holds
//! the callback's state and where a call enters (`Handler::call`); the rest is split by path:
//! `owning` runs the JS function on its own thread, `foreign` serves calls from other threads
//! (queued, or refused), `settle` lets a waiting caller have the Promise its callback returned,
//! `refusals` reports what could not run.

mod foreign;
mod owning;
mod refusals;
mod settle;

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use bare_fn_core::rendezvous::Completion;
use bare_fn_core::{Frame, Handler, Param, Signature, MAX_BY_VALUE};
use napi::sys;

use crate::dispatch::{Args, Dispatcher, Job, Payload, Recipient};
use crate::dropped;
use crate::owned_ref::OwnedRef;
use crate::owner_cell::OwnerCell;
use crate::raw::Failure;
use crate::report::Kind;
use crate::text::OwnedText;
use crate::threading_mode::Mode;
use settle::Awaited;

/// The C string the last call returned, kept alive until the next call or dispose; touched only
/// on the owning thread. Boxed: 8 bytes where an `Option<OwnedText>` takes 24, in a state a
/// million live BareFns each have.
struct Returned(Option<Box<OwnedText>>);

impl Returned {
    fn set(&mut self, string: Option<OwnedText>) {
        self.0 = string.map(Box::new);
    }
}

/// What only some BareFns have (see `JsCallback::extras`).
struct Extras {
    /// Strong reference to onError, used on the owning thread only; released when the last
    /// holder of the callback lets go (see Drop).
    on_error: Option<OwnedRef>,
    /// The fallback C string (owned: the raw fallback points to it), or the fallback struct.
    fallback_payload: Option<Payload>,
    /// Where it was created (a stack): recorded for BareFns other threads may call ('blocking',
    /// 'nonblocking'), whose errors show it, and for every BareFn with BARE_FN_TRACE.
    created_at: Option<String>,
}

/// A BareFn's handler. A million live BareFns hold a million of these: keep it small (see the
/// assertion below; the env, the owning thread's stack position and the callee's handle are the
/// dispatcher's and the batch's, not each callback's).
pub struct JsCallback {
    sig: Arc<Signature>,
    mode: Mode,
    /// Where its JS function is in the env's function table (`Dispatcher::function`): its index
    /// in the live registry.
    index: u32,
    /// Set by dispose (on the owning thread); read by every thread.
    disposed: AtomicBool,
    /// The queue to the owning thread (blocking/nonblocking calls, errors from other threads),
    /// and the owning thread's env.
    dispatcher: Arc<Dispatcher>,
    /// A report of this BareFn is queued to the owning thread. Reports from other threads are
    /// coalesced: while one is queued, more errors are only counted (`reports_coalesced`) and
    /// mentioned when it is delivered, so a foreign thread calling a refused BareFn in a loop
    /// cannot grow the queue (it used to: gigabytes within a second). A count that arrives while
    /// a report is being delivered is carried by the next report.
    report_queued: AtomicBool,
    reports_coalesced: AtomicU32,
    /// Raw-encoded value native callers get when no JS result can be delivered.
    fallback: u64,
    /// onError and the fallback's C string, boxed: most BareFns have neither.
    extras: Option<Box<Extras>>,
    returned: OwnerCell<Returned>,
}

// A million live BareFns hold a million callback states (README, Performance: live handles):
// 72 bytes, an 88-byte Arc allocation, a 96-byte heap block. Checked at compile time.
const _: () = assert!(std::mem::size_of::<JsCallback>() <= 72);

pub struct Options {
    pub on_error: Option<sys::napi_ref>,
    pub fallback: u64,
    pub fallback_payload: Option<Payload>,
    pub mode: Mode,
    pub created_at: Option<String>,
}

/// What a caller gets when a call of a BareFn returning a struct fails (zeros: see README).
static ZEROS: [u8; MAX_BY_VALUE] = [0; MAX_BY_VALUE];

impl JsCallback {
    /// # Safety
    /// Called on the JS thread of `dispatcher`'s env; the env's function table holds the JS
    /// function at `index` whenever native code can call this callback (from before its thunk's
    /// address is known until dispose).
    pub unsafe fn new(
        sig: Arc<Signature>,
        index: u32,
        options: Options,
        dispatcher: Arc<Dispatcher>,
    ) -> JsCallback {
        JsCallback {
            sig,
            mode: options.mode,
            index,
            disposed: AtomicBool::new(false),
            dispatcher,
            report_queued: AtomicBool::new(false),
            reports_coalesced: AtomicU32::new(0),
            extras: (options.on_error.is_some()
                || options.fallback_payload.is_some()
                || options.created_at.is_some())
            .then(|| {
                Box::new(Extras {
                    on_error: options.on_error.map(OwnedRef::new),
                    fallback_payload: options.fallback_payload,
                    created_at: options.created_at,
                })
            }),
            fallback: options.fallback,
            returned: OwnerCell::new(Returned(None)),
        }
    }

    /// Stops looking up the JS function (bare-fn.ts clears its entry in the function table);
    /// later calls get the fallback and are reported as "called after dispose" (to onError, which
    /// is kept until the thunk leaves quarantine). Only on the owning thread (disposal is a JS
    /// call into the addon); elsewhere nothing happens.
    pub fn dispose(&self) {
        self.returned.with(|returned| {
            self.disposed.store(true, Ordering::Release);
            returned.set(None);
        });
    }

    /// Where it was created (see `Extras::created_at`).
    pub fn created_at(&self) -> Option<&str> {
        self.extras.as_ref()?.created_at.as_deref()
    }

    fn on_error(&self) -> Option<&OwnedRef> {
        self.extras.as_ref()?.on_error.as_ref()
    }

    pub fn signature(&self) -> &Arc<Signature> {
        &self.sig
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    /// Whether the current thread is the one that owns it (whose env it belongs to).
    pub fn on_owning_thread(&self) -> bool {
        self.returned.is_owner()
    }
}

impl Recipient for JsCallback {
    unsafe fn run_queued(&self, env: sys::napi_env, args: &Args) {
        if self.disposed.load(Ordering::Acquire) {
            self.after_dispose(env);
            return;
        }
        // SAFETY: forwarded; not disposed. The jobs of one wake-up share batch scopes
        // (`Dispatcher::run_batch`).
        unsafe { self.invoke(env, self.enter_scope(env), &mut { args }) };
    }

    unsafe fn run_waited(
        &self,
        env: sys::napi_env,
        args: &Args,
        completion: &Arc<Completion<Payload>>,
    ) {
        if self.disposed.load(Ordering::Acquire) {
            completion.complete(self.after_dispose(env), None);
            return;
        }
        let mut source = Awaited::new(args, completion);
        // SAFETY: as in `run_queued`.
        let raw = unsafe { self.invoke(env, self.enter_scope(env), &mut source) };
        if !source.pending() {
            completion.complete(raw, args.returned.take());
        }
    }

    unsafe fn report_failure(&self, env: sys::napi_env, mut failure: Failure, kind: Kind) {
        self.report_queued.store(false, Ordering::Release);
        let coalesced = self.reports_coalesced.swap(0, Ordering::AcqRel);
        if coalesced > 0 {
            failure.message += &format!(
                " ({coalesced} more errors of this BareFn on other threads were not reported \
                 separately)"
            );
        }
        self.refuse(env, failure, kind);
    }

    fn fallback(&self) -> u64 {
        self.fallback
    }

    fn dropped_calls(&self, calls: u64) {
        dropped::count(self.key(), || self.describe(), calls, 0);
    }

    fn report_dropped(&self) {
        self.report_queued.store(false, Ordering::Release);
        let reports = 1 + u64::from(self.reports_coalesced.swap(0, Ordering::AcqRel));
        dropped::count(self.key(), || self.describe(), 0, reports);
    }
}

impl Drop for JsCallback {
    /// The last holder let go (the thunk left quarantine): release onError on its thread.
    fn drop(&mut self) {
        let Some(on_error) = self.extras.as_mut().and_then(|e| e.on_error.take()) else {
            return;
        };
        if self.dispatcher.is_closed() {
            return; // the env freed its references
        }
        if self.returned.is_owner() {
            // SAFETY: on the owning thread, with its live env; deleted once (taken above).
            unsafe { on_error.delete(self.dispatcher.env()) };
        } else {
            // Another thread: the owning thread deletes it; nothing to do if its env is gone.
            self.dispatcher.send(Job::Release(on_error));
        }
    }
}

impl Handler for JsCallback {
    #[inline]
    fn call(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        let raw = self.call_here_or_queue(frame);
        if let Param::Struct(s) = self.sig.ret() {
            if !frame.struct_returned() {
                // No result could be delivered: the caller gets the fallback, or zeros.
                let bytes = match self
                    .extras
                    .as_ref()
                    .and_then(|e| e.fallback_payload.as_ref())
                {
                    Some(Payload::Struct(bytes)) => bytes,
                    _ => &ZEROS[..s.size()],
                };
                frame.return_struct(&self.sig, bytes);
            }
        }
        raw
    }

    fn on_panic(&self) -> u64 {
        self.fallback
    }
}

impl JsCallback {
    #[inline]
    fn call_here_or_queue(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        if !self.returned.is_owner() {
            // An owned reference for the whole call: a blocking caller waits while the owning
            // thread may dispose the BareFn and its thunk leave quarantine (the owning thread only
            // releases handlers when idle, which says nothing of this thread).
            return Arc::clone(self).call_from_other_thread(frame);
        }
        let dispatcher = &self.dispatcher;
        if dispatcher.is_closed() {
            // The env is being torn down (a C exit handler, say): JS can no longer run.
            self.dropped_call();
            return self.fallback;
        }
        let env = dispatcher.env();
        if !dispatcher.stack().contain_current() {
            return self.foreign_stack(env);
        }
        if self.disposed.load(Ordering::Relaxed) {
            return self.after_dispose(env); // set on this thread
        }
        // SAFETY: owning thread, live env, not disposed. The scope is left by `invoke`, after the
        // last use of a value created in it.
        unsafe { self.invoke(env, self.enter_scope(env), frame) }
    }
}
