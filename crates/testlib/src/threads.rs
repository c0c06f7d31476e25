//! Callers on threads of their own, for the threading-mode tests and benchmarks.
//!
//! Protocol: thread `t` of a job calls `cb(t, i)` for i in 0..calls, in order (for 64-bit
//! callbacks, `cb(wide_args(t, i))`). The right result is `expected(t, i)` (`wide_expected`) below;
//! each result is counted as right, equal to the fallback the test declared, or wrong. The spawning call returns at once (the JS thread must
//! stay free to run queued calls); the test polls `tl_job_done` and then joins.

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crate::typed::{Point, I32I32I32};

/// What a correct callback returns for `cb(t, i)`.
pub fn expected(t: i32, i: i32) -> i32 {
    (t << 20) ^ i.wrapping_mul(7)
}

/// The arguments of a `(u64, i64) -> u64` callback for `(t, i)`: all 64 bits used, the second
/// negative.
pub fn wide_args(t: i32, i: i32) -> (u64, i64) {
    (
        0xFFFF_0000_0000_0000 | (t as u64) << 32 | i as u64,
        -((i64::from(t) << 40) + i64::from(i) + 1),
    )
}

/// What a correct `(u64, i64) -> u64` callback returns for `wide_args(t, i)`.
pub fn wide_expected(t: i32, i: i32) -> u64 {
    let (a, b) = wide_args(t, i);
    a ^ b as u64
}

/// Counts of one thread's results: right, fallback, wrong.
type Counts = [u64; 3];

/// Calls `call(i)` for i in 0..calls and counts its (result, right result) pairs.
fn tally<R: PartialEq>(calls: u32, fallback: R, call: impl Fn(i32) -> (R, R)) -> Counts {
    let mut counts = [0; 3];
    for i in 0..calls as i32 {
        let (result, right) = call(i);
        let k = if result == right {
            0
        } else if result == fallback {
            1
        } else {
            2
        };
        counts[k] += 1;
    }
    counts
}

pub struct Job {
    threads: Vec<JoinHandle<Counts>>,
    finished: Arc<AtomicUsize>,
    started: Instant,
}

fn spawn(threads: u32, body: impl Fn(i32) -> Counts + Send + Sync + 'static) -> *mut Job {
    let finished = Arc::new(AtomicUsize::new(0));
    let body = Arc::new(body);
    let handles = (0..threads as i32)
        .map(|t| {
            let (finished, body) = (finished.clone(), body.clone());
            std::thread::spawn(move || {
                let counts = body(t);
                finished.fetch_add(1, Ordering::Release);
                counts
            })
        })
        .collect();
    Box::into_raw(Box::new(Job {
        threads: handles,
        finished,
        started: Instant::now(),
    }))
}

/// Starts `threads` threads, each calling an `(i32, i32) -> i32` callback `calls` times.
///
/// # Safety
/// `cb` must be such a function and stay callable until the job is joined.
#[no_mangle]
pub unsafe extern "C" fn tl_spawn_i32(
    cb: I32I32I32,
    threads: u32,
    calls: u32,
    fallback: i32,
) -> *mut Job {
    spawn(threads, move |t| {
        // SAFETY: the caller promised `cb` is callable with this signature.
        tally(calls, fallback, |i| (unsafe { cb(t, i) }, expected(t, i)))
    })
}

/// Starts `threads` threads, each calling a `(u64, i64) -> u64` callback `calls` times with
/// `wide_args`.
///
/// # Safety
/// `cb` must be such a function and stay callable until the job is joined.
#[no_mangle]
pub unsafe extern "C" fn tl_spawn_wide(
    cb: unsafe extern "C" fn(u64, i64) -> u64,
    threads: u32,
    calls: u32,
    fallback: u64,
) -> *mut Job {
    spawn(threads, move |t| {
        tally(calls, fallback, |i| {
            let (a, b) = wide_args(t, i);
            // SAFETY: as above.
            (unsafe { cb(a, b) }, wide_expected(t, i))
        })
    })
}

/// Starts `threads` threads, each calling a `(i32, i32) -> void` callback `calls` times.
///
/// # Safety
/// `cb` must be such a function and stay callable until the job is joined.
#[no_mangle]
pub unsafe extern "C" fn tl_spawn_void(
    cb: unsafe extern "C" fn(i32, i32),
    threads: u32,
    calls: u32,
) -> *mut Job {
    spawn(threads, move |t| {
        for i in 0..calls as i32 {
            // SAFETY: as above.
            unsafe { cb(t, i) };
        }
        [u64::from(calls), 0, 0]
    })
}

/// Starts `threads` threads, each calling a `(Point, i32) -> Point` callback `calls` times with
/// `({ x: t, y: i + 0.5 }, i)`; a correct callback returns `{ x: p.y, y: p.x - n }` (the fallback
/// counted is all zeros).
///
/// # Safety
/// `cb` must be such a function and stay callable until the job is joined.
#[no_mangle]
pub unsafe extern "C" fn tl_spawn_point(
    cb: unsafe extern "C" fn(Point, i32) -> Point,
    threads: u32,
    calls: u32,
) -> *mut Job {
    spawn(threads, move |t| {
        let zero = Point { x: 0.0, y: 0.0 };
        tally(calls, zero, |i| {
            let p = Point {
                x: f64::from(t),
                y: f64::from(i) + 0.5,
            };
            let right = Point {
                x: p.y,
                y: p.x - f64::from(i),
            };
            // SAFETY: as above.
            (unsafe { cb(p, i) }, right)
        })
    })
}

/// What a correct `(i32, i32) -> cstring` callback returns for `cb(t, i)`.
fn expected_text(t: i32, i: i32) -> String {
    format!("thread {t}, call {i}: {}", "x".repeat((i % 40) as usize))
}

/// Starts `threads` threads, each calling an `(i32, i32) -> cstring` callback `calls` times. A
/// result is right when it reads `expected_text` right after the call *and* after the thread has
/// yielded to the others, whose calls of the same callback meanwhile must not touch it (it must
/// stay valid until this thread's next call); NULL counts as the fallback.
///
/// # Safety
/// `cb` must be such a function and stay callable until the job is joined.
#[no_mangle]
pub unsafe extern "C" fn tl_spawn_cstring(
    cb: unsafe extern "C" fn(i32, i32) -> *const c_char,
    threads: u32,
    calls: u32,
) -> *mut Job {
    let read = |p: *const c_char| {
        // SAFETY: a non-NULL result is a C string valid until this thread's next call.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    spawn(threads, move |t| {
        tally(calls, None, |i| {
            // SAFETY: as above.
            let p = unsafe { cb(t, i) };
            let first = read(p);
            std::thread::yield_now();
            let again = read(p);
            let result = if first == again {
                first
            } else {
                Some("changed".into())
            };
            (result, Some(expected_text(t, i)))
        })
    })
}

/// Whether every thread of the job has finished calling.
///
/// # Safety
/// `job` must come from a spawn function and not be joined yet.
#[no_mangle]
pub unsafe extern "C" fn tl_job_done(job: *const Job) -> bool {
    let job = &*job;
    job.finished.load(Ordering::Acquire) == job.threads.len()
}

/// Joins the job's threads, writes the summed counts (right, fallback, wrong) to `out[0..3]` and
/// returns the nanoseconds from spawn to join. Frees the job.
///
/// # Safety
/// `job` must come from a spawn function, joined once; `out` must hold 3 u64.
#[no_mangle]
pub unsafe extern "C" fn tl_job_join(job: *mut Job, out: *mut u64) -> u64 {
    let job = Box::from_raw(job);
    let mut total = [0u64; 3];
    for handle in job.threads {
        let counts = handle.join().unwrap_or([0, 0, u64::MAX]);
        for (sum, c) in total.iter_mut().zip(counts) {
            *sum = sum.saturating_add(c);
        }
    }
    std::ptr::copy_nonoverlapping(total.as_ptr(), out, 3);
    job.started.elapsed().as_nanos() as u64
}

/// Calls `cb(a, b)` once on a new thread and waits for it: the calling (JS) thread is blocked
/// meanwhile, which is the deadlock scenario for a 'blocking' callback.
///
/// # Safety
/// `cb` must be an `(i32, i32) -> i32` function.
#[no_mangle]
pub unsafe extern "C" fn tl_call_on_thread_i32(cb: I32I32I32, a: i32, b: i32) -> i32 {
    // SAFETY: forwarded to the caller.
    std::thread::spawn(move || unsafe { cb(a, b) })
        .join()
        .unwrap_or(i32::MIN)
}

/// Sleeps `ms` milliseconds and returns `ms`: a slow C function for calls made off the JS thread
/// (`fn.async`).
#[no_mangle]
pub extern "C" fn tl_sleep_ms(ms: u32) -> u32 {
    std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
    ms
}
