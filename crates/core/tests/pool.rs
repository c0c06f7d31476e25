//! Thunk pooling. One test in its own binary (its own process): the pool is process-wide, so no
//! other test may take thunks from it meanwhile.
#![cfg(all(target_arch = "x86_64", not(windows)))]

use std::sync::Arc;

use bare_fn_core::{Flavor, Frame, Handler, Thunk};

struct Answer(u64);

impl Handler for Answer {
    fn call(&self, _: &Frame<'_>) -> u64 {
        self.0
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

#[test]
fn a_dropped_thunk_answers_zero_then_serves_the_next_handler() {
    let first = Thunk::new(Flavor::SysV64, Arc::new(Answer(11))).unwrap();
    let address = first.address();
    // SAFETY: pooled thunks stay mapped for the life of the process; made for () -> u64.
    let f: extern "C" fn() -> u64 = unsafe { std::mem::transmute(address) };
    assert_eq!(f(), 11);
    drop(first);
    assert_eq!(
        f(),
        0,
        "in the pool, a stale call gets zero, never the old handler"
    );
    let second = Thunk::new(Flavor::SysV64, Arc::new(Answer(22))).unwrap();
    assert_eq!(second.address(), address, "the pooled thunk is reused");
    assert_eq!(f(), 22, "with its new handler");
    let third = Thunk::new(Flavor::SysV64, Arc::new(Answer(33))).unwrap();
    assert_ne!(third.address(), address, "an empty pool makes a new thunk");
}
