//! The rendezvous of a blocking call: a caller waiting in `Completion::wait` for a value another
//! thread delivers, the deadline that only bounds the wait before the call is taken, the settle
//! timeout that bounds the wait for a Promise the callback returned, and the spin
//! budget that adapts to whether spinning pays. Each test has its own SpinPolicy, so the budget
//! seen is the test's own.

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use bare_fn_core::rendezvous::{Completion, SpinPolicy, Unfinished, SPIN};

const NO_LIMIT: Option<Duration> = None;
const EXPIRED: Option<Duration> = Some(Duration::ZERO);

fn never_gone() -> bool {
    false
}

#[test]
fn a_value_and_string_delivered_by_another_thread_reach_the_waiting_caller() {
    let policy = SpinPolicy::new(1);
    let completion = Arc::new(Completion::<CString>::new());
    let owner = {
        let completion = completion.clone();
        thread::spawn(move || {
            // Later than any spin: the caller is asleep when the value comes.
            thread::sleep(Duration::from_millis(20));
            assert!(completion.claim());
            completion.complete(
                0xdead_beef_0000_0001,
                Some(CString::new("made there").unwrap()),
            );
        })
    };
    assert_eq!(
        completion.wait(&policy, NO_LIMIT, NO_LIMIT, never_gone),
        Ok(0xdead_beef_0000_0001)
    );
    assert_eq!(completion.take_payload().as_deref(), Some(c"made there"));
    assert_eq!(completion.take_payload(), None);
    owner.join().unwrap();
}

#[test]
fn a_call_not_taken_by_the_deadline_is_abandoned_and_can_no_longer_be_taken() {
    let policy = SpinPolicy::new(1);
    let completion = Completion::<CString>::new();
    assert_eq!(
        completion.wait(
            &policy,
            Some(Duration::from_millis(5)),
            NO_LIMIT,
            never_gone
        ),
        Err(Unfinished::NotTaken)
    );
    assert!(
        !completion.claim(),
        "the owning thread must not run an abandoned call"
    );
    // Ending it anyway (the env going away) changes nothing for anybody.
    assert!(!completion.complete(1, Some(CString::new("dropped").unwrap())));
    assert_eq!(completion.take_payload(), None);
}

#[test]
fn once_taken_the_caller_waits_past_its_deadline_for_the_result() {
    let policy = SpinPolicy::new(1);
    let completion = Arc::new(Completion::<CString>::new());
    assert!(completion.claim());
    let owner = {
        let completion = completion.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            completion.complete(42, None);
        })
    };
    assert_eq!(
        completion.wait(
            &policy,
            Some(Duration::from_millis(1)),
            NO_LIMIT,
            never_gone
        ),
        Ok(42)
    );
    owner.join().unwrap();
}

#[test]
fn a_caller_whose_owner_is_gone_stops_waiting_without_a_deadline() {
    let policy = SpinPolicy::new(1);
    let completion = Completion::<CString>::new();
    let gone = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(20));
            gone.store(true, Ordering::Relaxed);
        });
        assert_eq!(
            completion.wait(&policy, NO_LIMIT, NO_LIMIT, || gone.load(Ordering::Relaxed)),
            Err(Unfinished::NotTaken)
        );
    });
    assert!(!completion.claim());
}

#[test]
fn failed_spins_halve_the_budget_to_zero_and_a_successful_probe_raises_it() {
    let policy = SpinPolicy::new(1);
    assert_eq!(policy.budget(), SPIN);
    // Nobody completes these: each spin runs out. 30 µs halves to under 1 µs in five, then 0.
    let mut budgets = Vec::new();
    for _ in 0..5 {
        assert_eq!(
            Completion::<CString>::new().wait(&policy, EXPIRED, NO_LIMIT, never_gone),
            Err(Unfinished::NotTaken)
        );
        budgets.push(policy.budget().as_nanos());
    }
    assert_eq!(budgets, [15_000, 7_500, 3_750, 1_875, 0]);
    // At 0, calls sleep at once but for one probe in 64; the first one probes here (the count
    // starts at 0), sees the result at once and raises the budget by an eighth of SPIN.
    let done = Completion::<CString>::new();
    assert!(done.claim());
    done.complete(7, None);
    assert_eq!(done.wait(&policy, NO_LIMIT, NO_LIMIT, never_gone), Ok(7));
    assert_eq!(policy.budget(), Duration::from_nanos(2_000 + 3_750));
    // Successes raise it no further than SPIN.
    for _ in 0..20 {
        assert_eq!(done.wait(&policy, NO_LIMIT, NO_LIMIT, never_gone), Ok(7));
    }
    assert_eq!(policy.budget(), SPIN);
}

#[test]
fn at_zero_only_one_call_in_64_probes() {
    let policy = SpinPolicy::new(1);
    while policy.budget() > Duration::ZERO {
        let _ = Completion::<CString>::new().wait(&policy, EXPIRED, NO_LIMIT, never_gone);
    }
    // The first probe fails (nobody completes), the budget stays 0; the next 63 calls do not spin
    // at all, which leaves the budget alone; the 65th probes again and, seeing the result, raises it.
    let _ = Completion::<CString>::new().wait(&policy, EXPIRED, NO_LIMIT, never_gone);
    assert_eq!(policy.budget(), Duration::ZERO);
    let done = Completion::<CString>::new();
    assert!(done.claim());
    done.complete(1, None);
    for _ in 0..63 {
        assert_eq!(done.wait(&policy, NO_LIMIT, NO_LIMIT, never_gone), Ok(1));
        assert_eq!(policy.budget(), Duration::ZERO);
    }
    assert_eq!(done.wait(&policy, NO_LIMIT, NO_LIMIT, never_gone), Ok(1));
    assert!(policy.budget() > Duration::ZERO);
}

#[test]
fn callers_beyond_the_spinning_limit_sleep_at_once_and_leave_the_budget_alone() {
    // A limit of 0 (a single-CPU machine): nobody spins, so no spin can fail.
    let policy = SpinPolicy::new(0);
    for _ in 0..10 {
        assert_eq!(
            Completion::<CString>::new().wait(&policy, EXPIRED, NO_LIMIT, never_gone),
            Err(Unfinished::NotTaken)
        );
    }
    assert_eq!(policy.budget(), SPIN);
}

#[test]
fn a_caller_waits_for_a_settling_call_past_its_take_deadline_and_gets_the_settled_value() {
    let policy = SpinPolicy::new(1);
    let completion = Arc::new(Completion::<CString>::new());
    // Taken before the caller waits: only what follows is timed.
    assert!(completion.claim());
    let owner = {
        let completion = completion.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            completion.settling();
            // Settles later than the take deadline, within the settle timeout.
            thread::sleep(Duration::from_millis(30));
            assert!(completion.complete(9, Some(CString::new("settled").unwrap())));
        })
    };
    let waited = completion.wait(
        &policy,
        Some(Duration::from_millis(1)),
        Some(Duration::from_secs(60)),
        never_gone,
    );
    assert_eq!(waited, Ok(9));
    assert_eq!(completion.take_payload().as_deref(), Some(c"settled"));
    owner.join().unwrap();
}

#[test]
fn a_promise_not_settled_within_the_settle_timeout_leaves_the_caller_with_not_settled() {
    let policy = SpinPolicy::new(1);
    let completion = Arc::new(Completion::<CString>::new());
    assert!(completion.claim());
    completion.settling();
    assert_eq!(
        completion.wait(
            &policy,
            NO_LIMIT,
            Some(Duration::from_millis(5)),
            never_gone
        ),
        Err(Unfinished::NotSettled)
    );
    // Settling after the caller left: the result goes nowhere.
    assert!(!completion.complete(3, Some(CString::new("late").unwrap())));
    assert_eq!(completion.take_payload(), None);
}

#[test]
fn a_caller_waiting_for_a_promise_without_a_settle_timeout_stops_when_the_owner_is_gone() {
    let policy = SpinPolicy::new(1);
    let completion = Completion::<CString>::new();
    assert!(completion.claim());
    completion.settling();
    let gone = AtomicBool::new(false);
    thread::scope(|scope| {
        scope.spawn(|| {
            thread::sleep(Duration::from_millis(20));
            gone.store(true, Ordering::Relaxed);
        });
        assert_eq!(
            completion.wait(&policy, NO_LIMIT, NO_LIMIT, || gone.load(Ordering::Relaxed)),
            Err(Unfinished::NotSettled)
        );
    });
}
