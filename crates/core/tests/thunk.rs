//! Thunks called by real Rust callers of concrete signatures, and `call_raw` calling concrete
//! functions: every value crosses a compiler-generated call, once per convention the host has
//! (`extern "C"` everywhere; `extern "win64"` and `extern "sysv64"` on every x86-64 OS).

use std::sync::{Arc, Mutex};

use bare_fn_core::quarantine::Quarantine;
use bare_fn_core::{call_raw, CallConv, Frame, Handler, Input, Signature, Thunk, Type};

/// Records the normalized arguments of the last call and returns a fixed raw value.
struct Recorder {
    sig: Signature,
    ret: u64,
    seen: Mutex<Vec<u64>>,
}

impl Handler for Recorder {
    fn call(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        let args = self
            .sig
            .inputs()
            .iter()
            .map(|input| match input {
                Input::Scalar(s) => s.ty.normalize(frame.read(s.loc)),
                Input::Struct(_) => unreachable!("scalars only"),
            })
            .collect();
        *self.seen.lock().unwrap() = args;
        self.ret
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

fn recorder(
    conv: CallConv,
    ret: Type,
    args: &[Type],
    ret_raw: u64,
) -> (Arc<Recorder>, Thunk<Recorder>) {
    let sig = Signature::new(ret, args.to_vec(), conv).unwrap();
    let rec = Arc::new(Recorder {
        sig: sig.clone(),
        ret: ret_raw,
        seen: Mutex::new(vec![]),
    });
    let thunk = Thunk::new(&sig, rec.clone()).unwrap();
    (rec, thunk)
}

/// The tests of one calling convention: `$abi` as Rust spells it, `$conv` as bare-fn does. Each
/// shape starts with a 32-bit integer, which x86 thiscall requires (`this`).
macro_rules! convention_tests {
    ($module:ident, $abi:literal, $conv:expr) => {
        mod $module {
            use super::*;
            const CONV: CallConv = $conv;

            #[test]
            fn sixteen_mixed_arguments_with_stack_slots() {
                use Type::*;
                let types = [
                    I32, F64, I64, F32, U8, F64, I16, F64, U64, F32, I8, F64, U16, F64, I64, F64,
                ];
                type Mixed = extern $abi fn(
                    i32, f64, i64, f32, u8, f64, i16, f64, u64, f32, i8, f64, u16, f64, i64, f64,
                ) -> f64;
                let (rec, thunk) = recorder(CONV, F64, &types, (-0.0f64).to_bits());
                // SAFETY: the thunk was created for exactly this signature.
                let f: Mixed = unsafe { std::mem::transmute(thunk.address()) };
                let denormal = f32::from_bits(1);
                let r = f(
                    i32::MIN,
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
                let expect: Vec<u64> = vec![
                    i64::from(i32::MIN) as u64,
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
                assert_eq!(*rec.seen.lock().unwrap(), expect);
            }

            #[test]
            fn sixteen_integer_arguments() {
                type Ints = extern $abi fn(
                    u32, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64, u64,
                ) -> u64;
                let mut types = [Type::U64; 16];
                types[0] = Type::U32;
                let (rec, thunk) = recorder(CONV, Type::U64, &types, u64::MAX);
                // SAFETY: created for this signature.
                let f: Ints = unsafe { std::mem::transmute(thunk.address()) };
                let r = f(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1 << 40);
                assert_eq!(r, u64::MAX);
                let mut expect: Vec<u64> = (1..=15).collect();
                expect.push(1 << 40);
                assert_eq!(*rec.seen.lock().unwrap(), expect);
            }

            #[test]
            fn float_and_narrow_returns_land_in_the_right_register() {
                let (_, thunk) = recorder(CONV, Type::F32, &[Type::U32], u64::from(1.25f32.to_bits()));
                // SAFETY: created for (u32) -> f32.
                let f: extern $abi fn(u32) -> f32 = unsafe { std::mem::transmute(thunk.address()) };
                assert_eq!(f(0), 1.25);
                let (_, thunk) = recorder(CONV, Type::F64, &[Type::U32], 0.5f64.to_bits());
                // SAFETY: created for (u32) -> f64.
                let f: extern $abi fn(u32) -> f64 = unsafe { std::mem::transmute(thunk.address()) };
                assert_eq!(f(0), 0.5);
                let (_, thunk) = recorder(CONV, Type::I8, &[Type::U32], -3i64 as u64);
                // SAFETY: created for (u32) -> i8.
                let f: extern $abi fn(u32) -> i8 = unsafe { std::mem::transmute(thunk.address()) };
                assert_eq!(f(0), -3);
                let (_, thunk) = recorder(CONV, Type::I64, &[Type::U32], i64::MIN as u64);
                // SAFETY: created for (u32) -> i64.
                let f: extern $abi fn(u32) -> i64 = unsafe { std::mem::transmute(thunk.address()) };
                assert_eq!(f(0), i64::MIN);
            }

            extern $abi fn mixed_target(
                a: i8,
                b: f32,
                c: u16,
                d: f64,
                e: i64,
                f: bool,
                g: u32,
            ) -> f64 {
                f64::from(a)
                    + f64::from(b)
                    + f64::from(c)
                    + d
                    + e as f64
                    + f64::from(u8::from(f))
                    + f64::from(g)
            }

            extern $abi fn narrow_target(x: i8) -> i8 {
                x.wrapping_neg()
            }

            extern $abi fn float_target(x: u32, y: f32) -> f32 {
                y * x as f32
            }

            extern $abi fn weighted9(
                a: i32, b: i64, c: i64, d: i64, e: i64, f: i64, g: i64, h: i64, i: i64,
            ) -> i64 {
                [i64::from(a), b, c, d, e, f, g, h, i].iter().zip(1..).map(|(x, w)| x * w).sum()
            }

            extern $abi fn sum16(
                a: i32, b: f64, c: i64, d: f64, e: i64, f: f64, g: i64, h: f64,
                i: i64, j: f64, k: i64, l: f64, m: i64, n: f64, o: i64, p: f64,
            ) -> f64 {
                let ints = [i64::from(a), c, e, g, i, k, m, o];
                let floats = [b, d, f, h, j, l, n, p];
                ints.iter().map(|&x| x as f64).sum::<f64>() + floats.iter().sum::<f64>() * 1000.0
            }

            #[test]
            fn call_raw_calls_concrete_functions() {
                use Type::*;
                let sig = Signature::new(F64, vec![I8, F32, U16, F64, I64, Bool, U32], CONV);
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
                let r = unsafe { call_raw(mixed_target as *const () as usize, &sig.unwrap(), &args) };
                let expect = mixed_target(-5, 0.5, 65535, 0.25, -1_000_000, true, u32::MAX);
                assert_eq!(f64::from_bits(r), expect);

                let sig = Signature::new(I8, vec![I8], CONV).unwrap();
                // Every argument in a register: called by a jump with them loaded (x86
                // conventions pass them on the stack), and sum16's below through a frame.
                assert_eq!(sig.registers_only(), !cfg!(target_arch = "x86"), "{sig}");
                // SAFETY: narrow_target is (i8) -> i8.
                let r = unsafe { call_raw(narrow_target as *const () as usize, &sig, &[-128i64 as u64]) };
                assert_eq!(r as i64, -128, "wrapping_neg(-128) is -128, sign-extended");

                let sig = Signature::new(F32, vec![U32, F32], CONV).unwrap();
                assert_eq!(sig.registers_only(), !cfg!(target_arch = "x86"), "{sig}");
                let args = [3, u64::from(1.5f32.to_bits())];
                // SAFETY: float_target is (u32, f32) -> f32.
                let r = unsafe { call_raw(float_target as *const () as usize, &sig, &args) };
                assert_eq!(r, u64::from(4.5f32.to_bits()), "f32 result, upper bits zero");

                let types: Vec<Type> = (0..16)
                    .map(|i| match i {
                        0 => I32,
                        _ if i % 2 == 0 => I64,
                        _ => F64,
                    })
                    .collect();
                let sig = Signature::new(F64, types, CONV).unwrap();
                // Eight integers and eight floats: all in registers on AArch64 (x0-x7, d0-d7),
                // some on the stack elsewhere.
                assert_eq!(sig.registers_only(), cfg!(target_arch = "aarch64"), "{sig}");
                let args: Vec<u64> = (0..16)
                    .map(|i| if i % 2 == 0 { i as u64 } else { (i as f64).to_bits() })
                    .collect();
                // SAFETY: sum16 has this signature.
                let r = unsafe { call_raw(sum16 as *const () as usize, &sig, &args) };
                assert_eq!(f64::from_bits(r), 56.0 + 64.0 * 1000.0);

                // Nine integers: the ninth on the stack on every ABI, through a frame (the
                // first an i32, which thiscall needs as `this`).
                let sig = Signature::new(I64, [vec![I32], vec![I64; 8]].concat(), CONV).unwrap();
                assert!(!sig.registers_only(), "{sig} passes arguments on the stack");
                let args: Vec<u64> = (1..=9).map(|i: i64| (i * i) as u64).collect();
                // SAFETY: weighted9 has this signature.
                let r = unsafe { call_raw(weighted9 as *const () as usize, &sig, &args) };
                assert_eq!(r as i64, (1..=9).map(|i: i64| i * i * i).sum::<i64>());
            }
        }
    };
}

convention_tests!(c, "C", CallConv::C);
#[cfg(target_arch = "x86_64")]
convention_tests!(win64, "win64", CallConv::Win64);
#[cfg(target_arch = "x86_64")]
convention_tests!(sysv64, "sysv64", CallConv::Sysv64);
#[cfg(target_arch = "x86")]
convention_tests!(stdcall, "stdcall", CallConv::Stdcall);
#[cfg(target_arch = "x86")]
convention_tests!(fastcall, "fastcall", CallConv::Fastcall);
#[cfg(target_arch = "x86")]
convention_tests!(thiscall, "thiscall", CallConv::Thiscall);

struct Panics;
impl Handler for Panics {
    fn call(self: &Arc<Self>, _: &mut Frame<'_>) -> u64 {
        panic!("handler panicked on purpose")
    }
    fn on_panic(&self) -> u64 {
        42
    }
}

#[test]
fn a_panicking_handler_returns_the_panic_value() {
    let sig = Signature::new(Type::I32, Vec::<Type>::new(), CallConv::C).unwrap();
    let thunk = Thunk::new(&sig, Arc::new(Panics)).unwrap();
    // SAFETY: created for () -> i32.
    let f: extern "C" fn() -> i32 = unsafe { std::mem::transmute(thunk.address()) };
    assert_eq!(f(), 42);
}

#[test]
fn quarantine_keeps_the_newest_retired_thunks_callable() {
    let q = Quarantine::new(2);
    let mut addresses = vec![];
    for i in 0..3u64 {
        let (_, thunk) = recorder(CallConv::C, Type::U64, &[], i);
        addresses.push(thunk.address());
        // The one leaving (the oldest, at the third) still has its handler, of its own type only.
        let left = q.retire(thunk);
        assert_eq!(left.is_some(), i == 2);
        if let Some(left) = left {
            assert_eq!(left.handler::<Recorder>().map(|r| r.ret), Some(0));
            assert!(left.handler::<Panics>().is_none());
            drop(left); // nothing runs these thunks now
        }
    }
    assert_eq!(q.len(), 2);
    // The two newest are still mapped and answer.
    for (i, &addr) in addresses.iter().enumerate().skip(1) {
        // SAFETY: still in quarantine, created for () -> u64.
        let f: extern "C" fn() -> u64 = unsafe { std::mem::transmute(addr) };
        assert_eq!(f(), i as u64);
    }
    drop(q.set_capacity(0));
    assert!(q.is_empty());
}

#[test]
fn a_thunk_reads_its_stack_area_safely_near_the_top_of_a_small_thread_stack() {
    // ABI assumption (frame.rs, Frame::read): a thunk reads 8 bytes at each stack argument
    // offset, past a narrower last argument into the caller's frame and
    // its callers', which exist above any call. Exercised from a thread with the smallest stack
    // Rust allows, calling the thunk from its first frame.
    let (_, thunk) = recorder(CallConv::C, Type::U64, &[], 77);
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
