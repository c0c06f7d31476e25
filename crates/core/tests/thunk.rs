//! Thunks called by real Rust `extern "C"` callers of concrete signatures, and `call_raw` calling
//! concrete `extern "C"` functions: every value crosses a compiler-generated C call.
#![cfg(all(target_arch = "x86_64", not(windows)))]

use std::sync::{Arc, Mutex};

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{call_raw, CallConv, Frame, Handler, Signature, Thunk, Type};

/// Records the normalized arguments of the last call and returns a fixed raw value.
struct Recorder {
    sig: Signature,
    ret: u64,
    seen: Mutex<Vec<u64>>,
}

impl Handler for Recorder {
    fn call(self: &Arc<Self>, frame: &Frame<'_>) -> u64 {
        let args = self
            .sig
            .inputs()
            .iter()
            .map(|input| input.ty.normalize(frame.read(input.loc)))
            .collect();
        *self.seen.lock().unwrap() = args;
        self.ret
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

fn recorder(ret: Type, args: &[Type], ret_raw: u64) -> (Arc<Recorder>, Thunk<Recorder>) {
    let sig = Signature::new(ret, args.to_vec(), CallConv::C).unwrap();
    let rec = Arc::new(Recorder {
        sig: sig.clone(),
        ret: ret_raw,
        seen: Mutex::new(vec![]),
    });
    let thunk = Thunk::new(sig.flavor(), rec.clone()).unwrap();
    (rec, thunk)
}

#[test]
fn sixteen_mixed_arguments_with_stack_slots() {
    use Type::*;
    let types = [
        I64, F64, I32, F32, U8, F64, I16, F64, U64, F32, I8, F64, U16, F64, I64, F64,
    ];
    type Mixed = extern "C" fn(
        i64,
        f64,
        i32,
        f32,
        u8,
        f64,
        i16,
        f64,
        u64,
        f32,
        i8,
        f64,
        u16,
        f64,
        i64,
        f64,
    ) -> f64;
    let (rec, thunk) = recorder(F64, &types, (-0.0f64).to_bits());
    // SAFETY: the thunk was created for exactly this signature.
    let f: Mixed = unsafe { std::mem::transmute(thunk.address()) };
    let denormal = f32::from_bits(1);
    let r = f(
        i64::MIN,
        1.5,
        -7,
        denormal,
        255,
        f64::NAN,
        -32768,
        f64::INFINITY,
        u64::MAX,
        -0.0,
        -128,
        f64::NEG_INFINITY,
        65535,
        2.25,
        i64::MAX,
        f64::MIN_POSITIVE,
    );
    assert_eq!(r.to_bits(), (-0.0f64).to_bits());
    let seen = rec.seen.lock().unwrap().clone();
    let expect: Vec<u64> = vec![
        i64::MIN as u64,
        1.5f64.to_bits(),
        -7i64 as u64,
        1,
        255,
        f64::NAN.to_bits(),
        -32768i64 as u64,
        f64::INFINITY.to_bits(),
        u64::MAX,
        u64::from((-0.0f32).to_bits()),
        -128i64 as u64,
        f64::NEG_INFINITY.to_bits(),
        65535,
        2.25f64.to_bits(),
        i64::MAX as u64,
        f64::MIN_POSITIVE.to_bits(),
    ];
    assert_eq!(seen, expect);
}

#[test]
fn sixteen_integers_ten_on_the_stack() {
    type Ints = extern "C" fn(
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
        u64,
    ) -> u64;
    let (rec, thunk) = recorder(Type::U64, &[Type::U64; 16], u64::MAX);
    // SAFETY: created for this signature.
    let f: Ints = unsafe { std::mem::transmute(thunk.address()) };
    assert_eq!(
        f(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
        u64::MAX
    );
    assert_eq!(*rec.seen.lock().unwrap(), (1..=16).collect::<Vec<u64>>());
}

#[test]
fn float_and_narrow_returns_land_in_the_right_register() {
    let (_, thunk) = recorder(Type::F32, &[], u64::from(1.25f32.to_bits()));
    // SAFETY: created for () -> f32.
    let f: extern "C" fn() -> f32 = unsafe { std::mem::transmute(thunk.address()) };
    assert_eq!(f(), 1.25);
    let (_, thunk) = recorder(Type::I8, &[], -3i64 as u64);
    // SAFETY: created for () -> i8.
    let f: extern "C" fn() -> i8 = unsafe { std::mem::transmute(thunk.address()) };
    assert_eq!(f(), -3);
}

struct Panics;
impl Handler for Panics {
    fn call(self: &Arc<Self>, _: &Frame<'_>) -> u64 {
        panic!("handler panicked on purpose")
    }
    fn on_panic(&self) -> u64 {
        42
    }
}

#[test]
fn a_panicking_handler_returns_the_panic_value() {
    let sig = Signature::new(Type::I32, vec![], CallConv::C).unwrap();
    let thunk = Thunk::new(sig.flavor(), Arc::new(Panics)).unwrap();
    // SAFETY: created for () -> i32.
    let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(thunk.address()) };
    assert_eq!(f(), 42);
}

extern "C" fn mixed_target(a: i8, b: f32, c: u16, d: f64, e: i64, f: bool, g: u32) -> f64 {
    f64::from(a)
        + f64::from(b)
        + f64::from(c)
        + d
        + e as f64
        + f64::from(u8::from(f))
        + f64::from(g)
}

extern "C" fn narrow_target(x: i8) -> i8 {
    x.wrapping_neg()
}

extern "C" fn sum16(
    a: i64,
    b: f64,
    c: i64,
    d: f64,
    e: i64,
    f: f64,
    g: i64,
    h: f64,
    i: i64,
    j: f64,
    k: i64,
    l: f64,
    m: i64,
    n: f64,
    o: i64,
    p: f64,
) -> f64 {
    [a, c, e, g, i, k, m, o]
        .iter()
        .map(|&x| x as f64)
        .sum::<f64>()
        + [b, d, f, h, j, l, n, p].iter().sum::<f64>() * 1000.0
}

#[test]
fn call_raw_calls_concrete_functions() {
    use Type::*;
    let sig = Signature::new(F64, vec![I8, F32, U16, F64, I64, Bool, U32], CallConv::C).unwrap();
    let args = [
        -5i64 as u64,
        u64::from(0.5f32.to_bits()),
        65535,
        0.25f64.to_bits(),
        -1_000_000i64 as u64,
        1,
        u64::from(u32::MAX),
    ];
    // SAFETY: mixed_target has exactly this signature.
    let r = f64::from_bits(unsafe { call_raw(mixed_target as *const () as usize, &sig, &args) });
    assert_eq!(
        r,
        mixed_target(-5, 0.5, 65535, 0.25, -1_000_000, true, u32::MAX)
    );

    let sig = Signature::new(I8, vec![I8], CallConv::C).unwrap();
    // SAFETY: narrow_target is (i8) -> i8.
    let r = unsafe { call_raw(narrow_target as *const () as usize, &sig, &[-128i64 as u64]) };
    assert_eq!(r as i64, -128, "wrapping_neg(-128) is -128, sign-extended");

    let types: Vec<Type> = (0..16)
        .map(|i| if i % 2 == 0 { I64 } else { F64 })
        .collect();
    let sig = Signature::new(F64, types, CallConv::C).unwrap();
    let args: Vec<u64> = (0..16)
        .map(|i| {
            if i % 2 == 0 {
                i as u64
            } else {
                (i as f64).to_bits()
            }
        })
        .collect();
    // SAFETY: sum16 has this signature.
    let r = f64::from_bits(unsafe { call_raw(sum16 as *const () as usize, &sig, &args) });
    assert_eq!(r, (0..16).step_by(2).sum::<i32>() as f64 + 64.0 * 1000.0);
}

#[test]
fn quarantine_keeps_the_newest_retired_thunks_callable() {
    let q = Quarantine::new(2);
    let mut addresses = vec![];
    for i in 0..3u64 {
        let (_, thunk) = recorder(Type::U64, &[], i);
        addresses.push(thunk.address());
        q.retire(thunk);
    }
    assert_eq!(q.len(), 2);
    // The two newest are still mapped and answer.
    for (i, &addr) in addresses.iter().enumerate().skip(1) {
        // SAFETY: still in quarantine, created for () -> u64.
        let f: extern "C" fn() -> u64 = unsafe { std::mem::transmute(addr) };
        assert_eq!(f(), i as u64);
    }
    q.set_capacity(0);
    assert!(q.is_empty());
}

#[test]
fn a_thunk_reads_its_stack_area_safely_near_the_top_of_a_small_thread_stack() {
    // ABI assumption (regs.rs, StackArea): a thunk reads its first STACK_SLOTS stack-argument
    // slots whatever the signature; with fewer stack arguments these are the caller's frame and
    // its callers', which exist above any call. Exercised from a thread with the smallest stack
    // Rust allows, calling the thunk from its first frame.
    let (_, thunk) = recorder(Type::U64, &[], 77);
    let address = thunk.address();
    let result = std::thread::Builder::new()
        .stack_size(16 * 1024)
        .spawn(move || {
            // SAFETY: created for () -> u64.
            let f: extern "C" fn() -> u64 = unsafe { std::mem::transmute(address) };
            f()
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(result, 77);
    drop(thunk);
}
