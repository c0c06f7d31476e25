//! Jobs from any thread to an env's JS thread: queued calls of 'blocking' and 'nonblocking'
//! BareFns, and errors that happened on other threads.
//!
//! Jobs go into a queue of ours, in order; a Node-API threadsafe function (two per env, not one per
//! BareFn, so a million BareFns do not mean a million libuv handles) only wakes the JS thread
//! when the queue becomes non-empty, and the JS thread then runs jobs in batches. A job costs a
//! push under a mutex, not an allocation and a threadsafe-function call of its own.
//!
//! Why two: a batch that leaves jobs behind wakes the JS thread again for them. Through the same
//! function, that kept the JS thread in one callback: Node-API dispatches up to 1,000 calls of a
//! threadsafe function per event-loop turn, so a native thread flooding a 'nonblocking' BareFn had
//! a turn run a million JS calls, timers wait seconds, and a program whose work was done not exit
//! while the flood lasted (measured: a 200 ms timer firing after 5.7 s with 5 µs callbacks). A
//! batch continues through the other function: libuv runs each async handle at most once per
//! pass, so a turn runs at most two batches and timers and I/O get theirs in between. Both are
//! weak (unref'd) unless a `{ ref: true }` BareFn lives, and an async wake-up also wakes a loop
//! waiting for I/O, so queued calls are delivered promptly either way.
//!
//! Teardown: when the env is torn down (worker terminated, process exiting), the env cleanup hook
//! closes the dispatcher before Node frees the threadsafe function (hooks run in reverse order of
//! registration, and ours is registered after the function is created). From then on `send`
//! refuses, so no thread touches the freed function, and jobs still queued are retired: a waiting
//! caller gets its BareFn's fallback.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bare_fn_core::MAX_ARGS;
use napi::sys;

use crate::arg_buffer::ArgBuffer;
use crate::calls_in_progress::{NativeCall, NativeCalls, ThreadCalls};
use crate::outgoing::AsyncErrors;
use crate::owned_ref::OwnedRef;
use crate::raw::{string, strong_ref, Failure};
use crate::report::Kind;
use crate::stack::Bounds;
use crate::text::OwnedText;
use bare_fn_core::rendezvous::Completion;

/// The arguments of a queued call, raw-encoded. C string arguments point into `strings`, copies
/// owned by the job, so they stay valid however long the job waits.
pub struct Args {
    pub raw: [u64; MAX_ARGS],
    pub strings: Vec<OwnedText>,
    /// Copies of the struct arguments, one after another (a struct's raw value is its offset).
    pub bytes: Vec<u8>,
    /// The C string or struct the call returned, for the waiting caller (`Completion`).
    pub returned: RefCell<Option<Payload>>,
    /// The async call (`fn.async`) whose C function made this blocking call on its pool thread:
    /// the callback's error, without `onError`, rejects its Promise.
    pub origin: Option<Arc<AsyncErrors>>,
}

/// What a blocking call returns besides its raw value: a C string it owns, or a struct's bytes.
pub enum Payload {
    String(OwnedText),
    Struct(Vec<u8>),
}

/// The BareFn a queued call or error report is for (callback.rs's `JsCallback`): what the queue
/// asks of it. A trait, so that the queue does not depend on the callback that uses it.
pub trait Recipient: Send + Sync {
    /// Runs a call queued by another thread that does not wait for it.
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    unsafe fn run_queued(&self, env: sys::napi_env, args: &Args);

    /// Runs a call queued by another thread that waits for it, and delivers its result to
    /// `completion`, which it has claimed: at once, or when the Promise its callback returned
    /// settles.
    ///
    /// # Safety
    /// As for `run_queued`.
    unsafe fn run_waited(
        &self,
        env: sys::napi_env,
        args: &Args,
        completion: &Arc<Completion<Payload>>,
    );

    /// Reports an error that happened on another thread.
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    unsafe fn report_failure(&self, env: sys::napi_env, failure: Failure, kind: Kind);

    /// What a caller gets when the call cannot run.
    fn fallback(&self) -> u64;

    /// `calls` calls JS will never run: counted for the line at exit (`dropped`).
    fn dropped_calls(&self, calls: u64);

    /// Its queued error report will never be seen (counted for the line at exit).
    fn report_dropped(&self);
}

pub enum Job {
    /// Run the callback with `args`; deliver the result to `completion` if a caller waits.
    Call {
        callback: Arc<dyn Recipient>,
        args: Args,
        completion: Option<Arc<Completion<Payload>>>,
    },
    /// Report an error that happened on another thread.
    Report {
        callback: Arc<dyn Recipient>,
        failure: Failure,
        kind: Kind,
    },
    /// Delete a reference that was let go of on another thread.
    Release(OwnedRef),
    /// Work for the owning thread once it is back in its event loop, which the env's teardown
    /// drops undone (a thunk leaving quarantine, released where no call runs JS: `bare_fn::release`).
    Later(Box<dyn FnOnce() + Send>),
}

impl Job {
    /// Bytes the job takes in a queue, with what it owns: the same each time it is asked (the
    /// arguments do not change while it waits).
    fn weight(&self) -> usize {
        let owned = match self {
            Job::Call { args, .. } => {
                let strings: usize = args.strings.iter().map(OwnedText::bytes).sum();
                args.bytes.capacity() + strings
            }
            _ => 0,
        };
        size_of::<Job>() + owned
    }

    /// The async call a queued call was made for (`Args::origin`).
    fn origin(&self) -> Option<Arc<AsyncErrors>> {
        match self {
            Job::Call { args, .. } => args.origin.clone(),
            _ => None,
        }
    }

    /// On the owning thread, with JS available.
    ///
    /// # Safety
    /// `env` is the owning thread's live env.
    unsafe fn run(self, env: sys::napi_env) {
        match self {
            Job::Call {
                callback,
                args,
                completion: Some(completion),
            } => {
                if completion.claim() {
                    // SAFETY: forwarded.
                    unsafe { callback.run_waited(env, &args, &completion) };
                }
            }
            Job::Call { callback, args, .. } => {
                // SAFETY: forwarded.
                unsafe { callback.run_queued(env, &args) };
            }
            // SAFETY: forwarded.
            Job::Report {
                callback,
                failure,
                kind,
            } => unsafe { callback.report_failure(env, failure, kind) },
            // SAFETY: forwarded; the reference belongs to this env.
            Job::Release(reference) => unsafe { reference.delete(env) },
            Job::Later(work) => work(),
        }
    }
}

/// The env is gone: a waiting caller gets the fallback; calls and reports are counted for the
/// line at exit (`dropped`), each run of calls of one BareFn at once (a flood leaves a million
/// calls of one BareFn queued: counted one by one, they took 200 ms of the exit); nothing else
/// can be done. The caller drops the jobs (or not, at process exit: `at_exit`).
fn retire<'a>(jobs: impl IntoIterator<Item = &'a Job>) {
    let mut run: Option<(&dyn Recipient, u64)> = None;
    for job in jobs {
        match job {
            Job::Call {
                callback,
                completion,
                ..
            } => {
                if let Some(completion) = completion {
                    completion.complete(callback.fallback(), None);
                }
                match &mut run {
                    Some((last, calls)) if ptr::addr_eq(*last, &**callback) => *calls += 1,
                    _ => {
                        if let Some((last, calls)) = run.replace((&**callback, 1)) {
                            last.dropped_calls(calls);
                        }
                    }
                }
            }
            Job::Report { callback, .. } => callback.report_dropped(),
            Job::Release(_) | Job::Later(_) => {}
        }
    }
    if let Some((last, calls)) = run {
        last.dropped_calls(calls);
    }
}

/// An env pointer, held by a dispatcher that other threads share: only the env's own thread
/// passes it to Node-API (`Dispatcher::env`).
struct Env(sys::napi_env);
// SAFETY: other threads only move or copy the pointer, never use it (see above).
unsafe impl Send for Env {}
unsafe impl Sync for Env {}

/// A threadsafe function pointer; Node-API allows using it from any thread until it is released.
#[derive(Clone, Copy)]
struct Tsfn(sys::napi_threadsafe_function);

/// The env's two threadsafe functions: `[0]` woken by other threads, `[1]` by a batch that left
/// jobs behind, alternating from then on (see the module's header).
type Tsfns = [Tsfn; 2];
// SAFETY: napi_call_threadsafe_function is thread-safe by contract; the pointer is only used
// under the dispatcher's lock, and never after `close`.
unsafe impl Send for Tsfn {}
unsafe impl Sync for Tsfn {}

/// Jobs run per wake-up of the JS thread, so a flood of calls does not starve its event loop.
const BATCH: usize = 1024;

/// Queue capacity (jobs) above which a drained queue gives its buffer back.
const SHRINK_ABOVE: usize = 64 * BATCH;

/// How many jobs an env's queue may hold before a 'nonblocking' call is dropped instead of
/// queued (`BareFn.queueLimit`). A nonblocking caller does not wait, so a thread calling faster
/// than the owning thread runs the calls would otherwise grow the queue without bound (about a
/// gigabyte within seconds, then the process dies). Blocking calls are not bounded here: each
/// waiting thread has at most one queued, so threads bound them. Nor are error reports: one
/// per BareFn is queued at a time (see `JsCallback::post_failure`).
const DEFAULT_QUEUE_LIMIT: usize = 1 << 20;
static QUEUE_LIMIT: AtomicUsize = AtomicUsize::new(DEFAULT_QUEUE_LIMIT);

/// Bytes a queue may hold per call of `BareFn.queueLimit` (the jobs and what they own: struct
/// arguments, C strings): what a job of scalars takes, at least 256, so that the limit bounds
/// memory as the README says whatever the signature (a 4 KiB struct argument made each job
/// 4.4 KB: the default limit let a queue grow to 4.3 GB).
pub const BYTES_PER_CALL: usize = if size_of::<Job>() > 256 {
    size_of::<Job>()
} else {
    256
};

fn queue_limit() -> usize {
    QUEUE_LIMIT.load(Ordering::Relaxed)
}

/// `BareFn.queueLimit`.
#[napi_derive::napi(js_name = "queueLimit")]
pub fn get_queue_limit() -> u32 {
    queue_limit().try_into().unwrap_or(u32::MAX)
}

/// Changes the bound for queues of every env (src/lib/bare-fn.ts checks the range).
#[napi_derive::napi(js_name = "setQueueLimit")]
pub fn set_queue_limit(limit: u32) {
    QUEUE_LIMIT.store(limit as usize, Ordering::Relaxed);
}

/// What became of a job given to `send_bounded`.
pub enum Sent {
    Queued,
    /// The env is gone: nobody will run it.
    Closed,
    /// The queue holds `queue_limit()` jobs, or their bytes (`bytes`: how many, when that was
    /// the bound), already; the job was dropped.
    Full {
        waiting: usize,
        bytes: Option<usize>,
    },
}

struct Queue {
    jobs: VecDeque<Job>,
    /// What the jobs weigh (`Job::weight`), in bytes.
    bytes: usize,
    /// The JS thread has been woken for the jobs in the queue (and not yet taken them).
    woken: bool,
}

pub struct Dispatcher {
    /// None once closed.
    tsfn: RwLock<Option<Tsfns>>,
    queue: Mutex<Queue>,
    closed: AtomicBool,
    /// Live BareFns created with `{ ref: true }`: while non-zero, the threadsafe function keeps
    /// the event loop alive. Changed on the owning thread only.
    keep_alive: AtomicUsize,
    /// The OS id of the env's thread, for messages (read once: gettid is a system call).
    owner_os_id: u64,
    /// The native calls in progress on the env's thread.
    native_calls: ThreadCalls,
    /// The env, used on its thread only (see `env`).
    env: Env,
    /// The env thread's stack (see `stack`).
    stack: Bounds,
    /// The env's function table: a JS array holding each live BareFn's JS function at its index
    /// in the live registry (src/lib/bare-fn.ts puts it there and clears it on dispose). One strong
    /// reference for the env, which frees it at teardown; never used after `close`.
    functions: OwnedRef,
    /// Where 64-bit, size and pointer arguments go (see `arg_buffer`).
    args: ArgBuffer,
}

thread_local! {
    /// The dispatcher of this thread's env (one env per JS thread).
    static CURRENT: RefCell<Option<Arc<Dispatcher>>> = const { RefCell::new(None) };
}

impl Dispatcher {
    /// The dispatcher of `env`, created on first use (with the env's function table and argument
    /// buffer).
    ///
    /// # Safety
    /// On the JS thread of `env`, in a handle scope (a callback's).
    pub unsafe fn of_env(env: sys::napi_env) -> Result<Arc<Dispatcher>, Failure> {
        if let Some(existing) = CURRENT.with(|c| c.borrow().clone()) {
            return Ok(existing);
        }
        let mut functions = ptr::null_mut();
        // SAFETY: on env's thread, in the scope of the callback that asked.
        unsafe { sys::napi_create_array(env, &mut functions) };
        // SAFETY: as above.
        let args = unsafe { ArgBuffer::new(env) }?;
        let dispatcher = Arc::new(Dispatcher {
            tsfn: RwLock::new(None),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                bytes: 0,
                woken: false,
            }),
            closed: AtomicBool::new(false),
            keep_alive: AtomicUsize::new(0),
            owner_os_id: crate::os_thread::os_id(),
            native_calls: ThreadCalls::current(),
            env: Env(env),
            stack: Bounds::current(),
            functions: OwnedRef::new(strong_ref(env, functions)),
            args,
        });
        // SAFETY: forwarded.
        unsafe { dispatcher.install(env)? };
        at_exit::watch(&dispatcher);
        CURRENT.with(|c| *c.borrow_mut() = Some(dispatcher.clone()));
        Ok(dispatcher)
    }

    /// Creates the threadsafe functions (not keeping the event loop alive) and registers the env
    /// cleanup hook. Each holds an Arc of the dispatcher, released by its own finalizer.
    unsafe fn install(self: &Arc<Self>, env: sys::napi_env) -> Result<(), Failure> {
        // SAFETY: forwarded.
        let first = unsafe { self.new_tsfn(env) }?;
        // SAFETY: forwarded.
        let second = unsafe { self.new_tsfn(env) }.inspect_err(|_| {
            // SAFETY: live, used by no thread yet.
            unsafe {
                sys::napi_release_threadsafe_function(
                    first.0,
                    sys::ThreadsafeFunctionReleaseMode::abort,
                )
            };
        })?;
        // SAFETY: owning thread; the hook's Arc is taken back by `cleanup`.
        unsafe {
            sys::napi_add_env_cleanup_hook(
                env,
                Some(cleanup),
                Arc::into_raw(self.clone()) as *mut c_void,
            );
        }
        *self.tsfn.write().unwrap_or_else(|e| e.into_inner()) = Some([first, second]);
        Ok(())
    }

    /// One weak threadsafe function running `call_js` with this dispatcher.
    ///
    /// # Safety
    /// On the JS thread of `env`.
    unsafe fn new_tsfn(self: &Arc<Self>, env: sys::napi_env) -> Result<Tsfn, Failure> {
        let context = Arc::into_raw(self.clone()) as *mut c_void;
        let mut tsfn = ptr::null_mut();
        // SAFETY: on env's thread; with call_js_cb given, no JS function is needed; `context`
        // stays valid until `finalize` takes it back.
        let status = unsafe {
            sys::napi_create_threadsafe_function(
                env,
                ptr::null_mut(),
                ptr::null_mut(),
                string(env, "bare-fn"),
                0,
                1,
                context,
                Some(finalize),
                context,
                Some(call_js),
                &mut tsfn,
            )
        };
        if status != sys::Status::napi_ok {
            // SAFETY: Node-API did not take the context.
            drop(unsafe { Arc::from_raw(context as *const Dispatcher) });
            return Err(Failure::error(format!(
                "bare-fn: cannot create the queue to this thread (Node-API status {status})"
            )));
        }
        // SAFETY: owning thread, live function.
        unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
        Ok(Tsfn(tsfn))
    }

    /// The native calls in progress on the env's thread.
    ///
    /// # Safety
    /// On the env's thread, before the dispatcher is closed: an owner check alone is not enough
    /// once the env is torn down, as its thread may have exited and its id been reused by
    /// another (see `os_thread::current`), whose thread-locals are elsewhere.
    #[inline]
    pub unsafe fn native_calls(&self) -> &NativeCalls {
        // SAFETY: taken on the env's thread, where the caller is, and that thread still runs.
        unsafe { self.native_calls.get() }
    }

    /// The function table (see `functions`).
    ///
    /// # Safety
    /// On the env's thread, before the dispatcher is closed, in a handle scope.
    pub unsafe fn functions(&self, env: sys::napi_env) -> sys::napi_value {
        // SAFETY: forwarded; the reference lives until the env's teardown, which closes first.
        unsafe { self.functions.value(env) }
    }

    /// The env's argument buffer (see `arg_buffer`).
    #[inline]
    pub fn args(&self) -> &ArgBuffer {
        &self.args
    }

    /// The JS function of the BareFn at `index` of the live registry.
    ///
    /// # Safety
    /// As for `functions`.
    pub unsafe fn function(&self, env: sys::napi_env, index: u32) -> sys::napi_value {
        let mut function = ptr::null_mut();
        // SAFETY: forwarded; the table is an array, so reading an element runs no JS (a missing
        // one reads as undefined, which napi_call_function refuses as not a function).
        unsafe { sys::napi_get_element(env, self.functions(env), index, &mut function) };
        function
    }

    /// The env, for its own thread: other threads must not use it.
    #[inline]
    pub fn env(&self) -> sys::napi_env {
        self.env.0
    }

    /// The env thread's stack, taken on it: calls on that thread whose stack pointer is outside
    /// it run on a foreign stack (see `stack`).
    #[inline]
    pub fn stack(&self) -> &Bounds {
        &self.stack
    }

    pub fn owner_os_id(&self) -> u64 {
        self.owner_os_id
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Queues `job` for the owning thread; false (the job is dropped) when the env is gone.
    pub fn send(&self, job: Job) -> bool {
        matches!(self.push(job, usize::MAX), Sent::Queued)
    }

    /// Queues `job` unless the queue already holds `queue_limit()` jobs.
    pub fn send_bounded(&self, job: Job) -> Sent {
        self.push(job, queue_limit())
    }

    fn push(&self, job: Job, limit: usize) -> Sent {
        let wake = {
            let mut queue = self.lock_queue();
            // Checked under the queue lock: `close` sets the flag before taking the lock to drain,
            // so a job pushed after that drain is impossible.
            if self.is_closed() {
                return Sent::Closed;
            }
            let weight = job.weight();
            let bytes = queue.bytes.saturating_add(weight);
            let waiting = queue.jobs.len();
            if waiting >= limit {
                return Sent::Full {
                    waiting,
                    bytes: None,
                };
            }
            if bytes > limit.saturating_mul(BYTES_PER_CALL) {
                let bytes = Some(queue.bytes);
                return Sent::Full { waiting, bytes };
            }
            queue.bytes = bytes;
            queue.jobs.push_back(job);
            !std::mem::replace(&mut queue.woken, true)
        };
        if wake {
            self.wake(0);
        }
        Sent::Queued
    }

    /// Takes a blocking call whose caller gave up (`Completion::wait` timed out) out of the
    /// queue, if JS has not taken it yet, so that each waiting thread has at most one job queued
    /// whatever the timeouts. A scan of the queue, on the path of a caller that already waited.
    pub fn withdraw(&self, completion: &Arc<Completion<Payload>>) {
        let mut queue = self.lock_queue();
        let mine = |job: &Job| matches!(job, Job::Call { completion: Some(c), .. } if Arc::ptr_eq(c, completion));
        if let Some(job) = queue
            .jobs
            .iter()
            .position(mine)
            .and_then(|at| queue.jobs.remove(at))
        {
            queue.bytes -= job.weight();
            drop(queue);
            drop(job); // outside the lock: it frees the job's strings
        }
    }

    /// Asks the JS thread to run `run_batch`, through threadsafe function `via`. If the env is
    /// closing, `close` retires the jobs.
    fn wake(&self, via: usize) {
        let guard = self.tsfn.read().unwrap_or_else(|e| e.into_inner());
        if let Some(tsfns) = guard.as_ref() {
            let tsfn = tsfns[via];
            // SAFETY: the function is live while `tsfn` is Some (see `close`); the Node-API
            // queue is unbounded, so nonblocking mode only fails when the function is closing,
            // and then `close` retires what is queued.
            unsafe {
                sys::napi_call_threadsafe_function(
                    tsfn.0,
                    via as *mut c_void, // what `call_js` learns `via` from
                    sys::ThreadsafeFunctionCallMode::nonblocking,
                )
            };
        }
    }

    /// On the JS thread, woken through threadsafe function `via`: runs up to `BATCH` queued
    /// jobs, in order; jobs left behind are for the other function (see the module's header).
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    unsafe fn run_batch(&self, env: sys::napi_env, via: usize) {
        let (batch, more) = {
            let mut queue = self.lock_queue();
            let batch = Self::take(&mut queue, BATCH);
            let more = !queue.jobs.is_empty();
            queue.woken = more;
            (batch, more)
        };
        if more {
            self.wake(1 - via);
        }
        // SAFETY: forwarded.
        unsafe { self.run_jobs(env, batch) };
    }

    /// On the JS thread, when its event loop is about to end (process 'beforeExit'): runs the
    /// jobs queued now, like a resolved promise's callbacks, which also run before a process
    /// exits. Its threadsafe functions do not keep the loop alive (see the module's header), so
    /// jobs queued while JS was busy would otherwise be lost at the end of a script. Jobs queued
    /// meanwhile wait for the next end of the loop (when these schedule more work) or are
    /// counted at exit: a thread that never stops calling does not keep the process alive.
    /// Returns how many jobs ran.
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    pub unsafe fn run_pending(&self, env: sys::napi_env) -> usize {
        let mut left = self.lock_queue().jobs.len();
        let mut ran = 0;
        while left > 0 && !self.is_closed() {
            let batch = Self::take(&mut self.lock_queue(), left.min(BATCH));
            if batch.is_empty() {
                break; // a pending wake-up ran them meanwhile
            }
            left -= batch.len();
            ran += batch.len();
            // SAFETY: forwarded.
            unsafe { self.run_jobs(env, batch) };
        }
        ran
    }

    /// Takes up to `at_most` jobs from the front of `queue`.
    fn take(queue: &mut Queue, at_most: usize) -> Vec<Job> {
        let take = queue.jobs.len().min(at_most);
        let batch: Vec<Job> = queue.jobs.drain(..take).collect();
        queue.bytes -= batch.iter().map(Job::weight).sum::<usize>();
        if queue.jobs.is_empty() && queue.jobs.capacity() > SHRINK_ABOVE {
            // A flood left a large buffer behind (up to BareFn.queueLimit jobs of ~200 bytes):
            // give it back once drained.
            queue.jobs.shrink_to(BATCH);
        }
        batch
    }

    /// Runs `batch` in order; once JS can no longer run, the rest is retired.
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    unsafe fn run_jobs(&self, env: sys::napi_env, batch: Vec<Job>) {
        // The jobs' calls share handle scopes and looked-up functions, as the calls made during
        // one JS -> native call do (`calls_in_progress`); their errors are not kept for a rethrow.
        let calls = NativeCall::enter(false);
        let mut jobs = batch.into_iter();
        for job in jobs.by_ref() {
            match job.origin() {
                // As inside a JS -> native call: an error without onError is kept, here for the
                // async call's Promise.
                Some(origin) => {
                    let call = NativeCall::enter(true);
                    // SAFETY: forwarded.
                    unsafe { job.run(env) };
                    if let Some(error) = call.finish(env) {
                        // SAFETY: on the JS thread, the error of the batch's open scope.
                        unsafe { origin.keep(env, error) };
                    }
                }
                // SAFETY: forwarded.
                None => unsafe { job.run(env) },
            }
            if self.is_closed() {
                // JS cannot run here any more (process exit or worker termination has begun,
                // `stop`): the rest of the batch is retired as at teardown.
                break;
            }
        }
        retire(jobs.as_slice());
        // Closes the batch scope, innermost again: every job closed the scopes it opened.
        let kept = calls.finish(env);
        debug_assert!(kept.is_none(), "a batch of jobs keeps no error");
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Jobs are plain data: a panic elsewhere cannot leave the queue inconsistent.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a `{ ref: true }` BareFn in (`on`) or out; the event loop stays alive while any
    /// is counted.
    ///
    /// # Safety
    /// On the owning thread, with its live env.
    pub unsafe fn keep_alive(&self, env: sys::napi_env, on: bool) {
        let guard = self.tsfn.read().unwrap_or_else(|e| e.into_inner());
        let Some(tsfns) = guard.as_ref() else { return };
        let before = if on {
            self.keep_alive.fetch_add(1, Ordering::Relaxed)
        } else {
            self.keep_alive.fetch_sub(1, Ordering::Relaxed)
        };
        for tsfn in tsfns {
            // SAFETY: owning thread, live functions.
            unsafe {
                match (on, before) {
                    (true, 0) => sys::napi_ref_threadsafe_function(env, tsfn.0),
                    (false, 1) => sys::napi_unref_threadsafe_function(env, tsfn.0),
                    _ => sys::Status::napi_ok,
                };
            }
        }
    }

    /// JS can no longer run in the env (a call was refused): refuses further jobs and retires the
    /// queued ones, so that every later call answers with its fallback at once. Leaves the
    /// threadsafe functions alone: after process.exit() this runs from C exit handlers, when
    /// libuv may be shut down; the env cleanup hook releases them if it runs (`close`).
    pub fn stop(&self) {
        drop(self.stop_and_retire());
    }

    /// `stop`, giving back the retired jobs to be dropped.
    fn stop_and_retire(&self) -> VecDeque<Job> {
        self.closed.store(true, Ordering::Release);
        let orphans = {
            let mut queue = self.lock_queue();
            queue.bytes = 0;
            std::mem::take(&mut queue.jobs)
        };
        retire(&orphans);
        orphans
    }

    /// Refuses further jobs and releases the threadsafe functions (the env is being torn down).
    fn close(&self) {
        self.stop();
        let tsfns = self.tsfn.write().unwrap_or_else(|e| e.into_inner()).take();
        for tsfn in tsfns.into_iter().flatten() {
            // SAFETY: the function is live (Node frees it after this hook); no thread uses it
            // any more (taken out under the write lock).
            unsafe {
                sys::napi_release_threadsafe_function(
                    tsfn.0,
                    sys::ThreadsafeFunctionReleaseMode::abort,
                )
            };
        }
    }
}

/// Runs a batch of jobs on the owning thread (Node-API passes a NULL env when the function is
/// finalized with wake-ups still queued: the jobs are then retired by `close`).
unsafe extern "C" fn call_js(
    env: sys::napi_env,
    _js_callback: sys::napi_value,
    context: *mut c_void,
    data: *mut c_void,
) {
    // SAFETY: `context` is the dispatcher Arc held by the function until `finalize`.
    let dispatcher = unsafe { &*(context as *const Dispatcher) };
    if !env.is_null() && !dispatcher.is_closed() {
        // SAFETY: called by Node-API on the owning thread with its live env; `data` is the
        // index `wake` passed.
        unsafe { dispatcher.run_batch(env, data as usize) };
    }
}

/// The threadsafe function is finalized: release its Arc of the dispatcher.
unsafe extern "C" fn finalize(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    // SAFETY: `data` is the Arc given at creation, released once here.
    drop(unsafe { Arc::from_raw(data as *const Dispatcher) });
}

/// The env is being torn down.
unsafe extern "C" fn cleanup(arg: *mut c_void) {
    // SAFETY: `arg` is the Arc given with the hook, released once here.
    let dispatcher = unsafe { Arc::from_raw(arg as *const Dispatcher) };
    dispatcher.close();
    CURRENT.with(|c| c.borrow_mut().take());
}

/// What happens to the dispatchers' queues when the process exits.
mod at_exit {
    use std::sync::{Arc, Mutex, Once, Weak};

    use super::Dispatcher;

    /// Every env's dispatcher, while it lives.
    static DISPATCHERS: Mutex<Vec<Weak<Dispatcher>>> = Mutex::new(Vec::new());

    /// Keeps `dispatcher` for `stop_all`; the first time, registers it to run at exit. That is
    /// before any BareFn exists: exit handlers run in reverse order of registration, so C exit
    /// handlers registered later (a BareFn among them) run first and their calls are counted.
    pub fn watch(dispatcher: &Arc<Dispatcher>) {
        static REGISTER: Once = Once::new();
        REGISTER.call_once(|| {
            // SAFETY: `stop_all` is a plain function without arguments, valid for the process's
            // life (Node never unloads an addon).
            unsafe { libc::atexit(stop_all) };
        });
        let mut all = DISPATCHERS.lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|d| d.strong_count() > 0);
        all.push(Arc::downgrade(dispatcher));
    }

    /// The process exits: JS will never run the jobs still queued. process.exit() and an
    /// uncaught exception exit without tearing the env down (no cleanup hook runs, no `close`),
    /// so they are retired here (counted, a waiting caller gets the fallback); then the line of
    /// what was dropped is printed (`dropped`).
    extern "C" fn stop_all() {
        let all: Vec<Arc<Dispatcher>> = DISPATCHERS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        for dispatcher in all {
            // Not freed: the process is exiting, and the jobs of a flood took 100 ms to drop
            // (their memory goes back to the system with the rest).
            std::mem::forget(dispatcher.stop_and_retire());
        }
        crate::dropped::print();
    }
}
