//! Thunk pooling. One test in its own binary (its own process): the pool is process-wide, so no
//! other test may take thunks from it meanwhile.
use std::sync::Arc;

use bare_fn_core::{CallConv, Frame, Handler, Signature, Thunk, Type};

/// `() -> u64` in C: the thunks' signature, on any host.
fn sig() -> Signature {
    Signature::new(Type::U64, Vec::<Type>::new(), CallConv::C).unwrap()
}

struct Answer(u64);

impl Handler for Answer {
    fn call(self: &Arc<Self>, _: &mut Frame<'_>) -> u64 {
        self.0
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

/// A handler of another type: its thunks' code is compiled for it.
struct Doubled(u64);

impl Handler for Doubled {
    fn call(self: &Arc<Self>, _: &mut Frame<'_>) -> u64 {
        self.0 * 2
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

#[test]
fn a_dropped_thunk_answers_zero_then_serves_the_next_handler() {
    let first = Thunk::new(&sig(), Arc::new(Answer(11))).unwrap();
    let address = first.address();
    assert_eq!(first.handler().0, 11);
    // SAFETY: pooled thunks stay mapped for the life of the process; made for () -> u64.
    let f: extern "C" fn() -> u64 = unsafe { std::mem::transmute(address) };
    assert_eq!(f(), 11);
    drop(first);
    assert_eq!(
        f(),
        0,
        "in the pool, a stale call gets zero, never the old handler"
    );
    let second = Thunk::new(&sig(), Arc::new(Answer(22))).unwrap();
    assert_eq!(second.address(), address, "the pooled thunk is reused");
    assert_eq!(f(), 22, "with its new handler");
    let third = Thunk::new(&sig(), Arc::new(Answer(33))).unwrap();
    assert_ne!(third.address(), address, "an empty pool makes a new thunk");

    // A pooled thunk only serves handlers of the type its code was compiled for.
    drop(second);
    let doubled = Thunk::new(&sig(), Arc::new(Doubled(4))).unwrap();
    assert_ne!(
        doubled.address(),
        address,
        "not reused for another handler type"
    );
    // SAFETY: as above.
    let g: extern "C" fn() -> u64 = unsafe { std::mem::transmute(doubled.address()) };
    assert_eq!(g(), 8);
    let fourth = Thunk::new(&sig(), Arc::new(Answer(44))).unwrap();
    assert_eq!(fourth.address(), address, "reused for its own type");
    assert_eq!(f(), 44);
}
