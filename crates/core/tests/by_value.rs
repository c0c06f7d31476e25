//! Structs by value through thunks called by rustc-compiled callers, and through `call_raw_into`
//! calling rustc-compiled callees, for every shape that changes classification, on every
//! convention the host has: rustc implements each ABI's struct rules as the platform's C compiler
//! does, so values that cross these calls intact were placed where the ABI says. (The JS suite
//! does the same against gcc's C.)

use std::mem::transmute;
use std::sync::{Arc, Mutex};

use bare_fn_core::abi::Target;
use bare_fn_core::{
    call_raw_into, CallConv, Frame, Handler, Input, Param, Signature, Struct, Thunk,
};

/// Records every argument (a struct's bytes; a scalar's raw value as 8 bytes) and returns the
/// struct argument at `pick`.
struct Echo {
    sig: Signature,
    pick: usize,
    seen: Mutex<Vec<Vec<u8>>>,
}

impl Handler for Echo {
    fn call(self: &Arc<Self>, frame: &mut Frame<'_>) -> u64 {
        let seen: Vec<Vec<u8>> = self
            .sig
            .inputs()
            .iter()
            .map(|input| match input {
                Input::Scalar(s) => s.decode(frame).to_le_bytes().to_vec(),
                Input::Struct(s) => {
                    let mut out = vec![0; s.size];
                    frame.read_struct(s, &mut out);
                    out
                }
            })
            .collect();
        frame.return_struct(&self.sig, &seen[self.pick]);
        *self.seen.lock().unwrap() = seen;
        0
    }
    fn on_panic(&self) -> u64 {
        0
    }
}

fn echo(sig: Signature, pick: usize) -> (Arc<Echo>, Thunk<Echo>) {
    let echo = Arc::new(Echo {
        sig: sig.clone(),
        pick,
        seen: Mutex::new(vec![]),
    });
    let thunk = Thunk::new(&sig, echo.clone()).unwrap();
    (echo, thunk)
}

/// A value of `T` from its bytes (never reads `T`'s padding).
fn from_bytes<T: Copy>(bytes: &[u8]) -> T {
    assert_eq!(bytes.len(), size_of::<T>());
    // SAFETY: the length matches; every shape here is valid for any bytes.
    unsafe { bytes.as_ptr().cast::<T>().read_unaligned() }
}

fn raw<T>(value: &T) -> u64 {
    value as *const T as usize as u64
}

macro_rules! by_value {
    ($module:ident, $abi:literal, $conv:expr, $s:ty, $descriptor:literal, $a:expr, $b:expr) => {
        mod $module {
            use super::*;
            type S = $s;
            const CONV: CallConv = $conv;

            fn st() -> Param {
                Struct::parse($descriptor, Target::HOST).unwrap().into()
            }

            fn crowded_sig() -> Signature {
                use bare_fn_core::Type::{F64, I32, I64};
                let mut args: Vec<Param> = vec![I64.into(); 6];
                args.extend(vec![F64.into(); 7]);
                args.extend([st(), I32.into(), st()]);
                Signature::new(st(), args, CONV).unwrap()
            }

            #[test]
            fn a_thunk_takes_and_returns_it() {
                let sig = Signature::new(st(), [st()], CONV).unwrap();
                let (_rec, thunk) = echo(sig, 0);
                // SAFETY: the thunk was made for exactly this signature.
                let f: extern $abi fn(S) -> S = unsafe { transmute(thunk.address()) };
                assert_eq!(f($a), $a);
                assert_eq!(f($b), $b);
            }

            #[test]
            fn a_thunk_finds_it_after_full_registers() {
                let (rec, thunk) = echo(crowded_sig(), 15);
                // Six integers and seven doubles fill System V's integer registers and the first
                // registers of every other convention; then the struct, an i32, a second struct.
                type F = extern $abi fn(
                    i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, S, i32, S,
                ) -> S;
                // SAFETY: made for this signature.
                let f: F = unsafe { transmute(thunk.address()) };
                let r = f(1, -2, 3, -4, 5, -6, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, $a, -9, $b);
                assert_eq!(r, $b);
                let seen = rec.seen.lock().unwrap();
                assert_eq!(from_bytes::<S>(&seen[13]), $a);
                assert_eq!(from_bytes::<S>(&seen[15]), $b);
                assert_eq!(seen[14], (-9i64).to_le_bytes());
                assert_eq!(seen[12], 6.5f64.to_bits().to_le_bytes());
                assert_eq!(seen[5], (-6i64).to_le_bytes());
            }

            extern $abi fn alone(s: S) -> S {
                s
            }

            #[allow(clippy::too_many_arguments)]
            extern $abi fn crowded(
                i0: i64, i1: i64, i2: i64, i3: i64, i4: i64, i5: i64,
                d0: f64, d1: f64, d2: f64, d3: f64, d4: f64, d5: f64, d6: f64,
                s: S, n: i32, t: S,
            ) -> S {
                let ints = [i0, i1, i2, i3, i4, i5];
                let doubles = [d0, d1, d2, d3, d4, d5, d6];
                let expected = ints == [1, -2, 3, -4, 5, -6]
                    && doubles == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]
                    && n == -9
                    && s == $a;
                if expected { t } else { s }
            }

            #[test]
            fn call_raw_into_passes_and_receives_it() {
                let sig = Signature::new(st(), [st()], CONV).unwrap();
                let mut out = vec![0u8; size_of::<S>()];
                // SAFETY: `alone` has this signature; the argument is the address of an S.
                unsafe { call_raw_into(alone as extern $abi fn(S) -> S as usize, &sig, &[raw(&$a)], &mut out) };
                assert_eq!(from_bytes::<S>(&out), $a);
                // Into memory aligned for no struct: a result returned through a hidden address
                // is then received elsewhere and copied.
                let mut unaligned = vec![0u8; size_of::<S>() + 1];
                let at = usize::from(unaligned.as_ptr() as usize % 2 == 0);
                let odd = &mut unaligned[at..][..size_of::<S>()];
                // SAFETY: as above.
                unsafe { call_raw_into(alone as extern $abi fn(S) -> S as usize, &sig, &[raw(&$a)], odd) };
                assert_eq!(from_bytes::<S>(odd), $a, "received at an odd address");

                let sig = crowded_sig();
                type F = extern $abi fn(
                    i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, S, i32, S,
                ) -> S;
                let (a, b) = ($a, $b);
                let mut args: Vec<u64> = [1i64, -2, 3, -4, 5, -6].map(|i| i as u64).to_vec();
                args.extend([0.5f64, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5].map(f64::to_bits));
                args.extend([raw(&a), -9i64 as u64, raw(&b)]);
                // SAFETY: `crowded` has this signature.
                unsafe { call_raw_into(crowded as F as usize, &sig, &args, &mut out) };
                assert_eq!(from_bytes::<S>(&out), $b, "every argument arrived");
            }
        }
    };
}

macro_rules! shape {
    ($module:ident, $s:ty, $descriptor:literal, $a:expr, $b:expr) => {
        mod $module {
            use super::*;
            by_value!(c, "C", CallConv::C, $s, $descriptor, $a, $b);
            #[cfg(target_arch = "x86_64")]
            by_value!(win64, "win64", CallConv::Win64, $s, $descriptor, $a, $b);
            #[cfg(target_arch = "x86_64")]
            by_value!(sysv64, "sysv64", CallConv::Sysv64, $s, $descriptor, $a, $b);
            #[cfg(target_arch = "x86")]
            by_value!(
                stdcall,
                "stdcall",
                CallConv::Stdcall,
                $s,
                $descriptor,
                $a,
                $b
            );
        }
    };
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct I32 {
    a: i32,
}
shape!(i32, I32, "{i32}", I32 { a: -5 }, I32 { a: i32::MAX });

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct I64x2 {
    a: i64,
    b: i64,
}
shape!(
    i64x2,
    I64x2,
    "{i64,i64}",
    I64x2 { a: -1, b: 1 << 40 },
    I64x2 { a: 7, b: i64::MIN }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F64x2 {
    x: f64,
    y: f64,
}
shape!(
    f64x2,
    F64x2,
    "{f64,f64}",
    F64x2 { x: 1.5, y: -2.25 },
    F64x2 { x: 1e300, y: 0.125 }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F32x4 {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
}
shape!(
    f32x4,
    F32x4,
    "{f32,f32,f32,f32}",
    F32x4 {
        a: 1.0,
        b: -2.0,
        c: 3.5,
        d: 4.25
    },
    F32x4 {
        a: 0.5,
        b: 6.0,
        c: -7.0,
        d: 1e30
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F32x3 {
    a: f32,
    b: f32,
    c: f32,
}
shape!(
    f32x3,
    F32x3,
    "{f32,f32,f32}",
    F32x3 {
        a: 1.0,
        b: -2.0,
        c: 3.5
    },
    F32x3 {
        a: 0.5,
        b: 6.0,
        c: -7.0
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F32I32 {
    a: f32,
    b: i32,
}
shape!(
    f32_i32,
    F32I32,
    "{f32,i32}",
    F32I32 { a: 1.25, b: -3 },
    F32I32 { a: -8.0, b: 77 }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct I8F64 {
    a: i8,
    b: f64,
}
shape!(
    i8_f64,
    I8F64,
    "{i8,f64}",
    I8F64 { a: -7, b: 2.5 },
    I8F64 { a: 100, b: -0.75 }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F64I64 {
    a: f64,
    b: i64,
}
shape!(
    f64_i64,
    F64I64,
    "{f64,i64}",
    F64I64 { a: 3.75, b: -12 },
    F64I64 {
        a: -1.0,
        b: 1 << 50
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F64x3 {
    a: f64,
    b: f64,
    c: f64,
}
shape!(
    f64x3,
    F64x3,
    "{f64,f64,f64}",
    F64x3 {
        a: 1.0,
        b: 2.0,
        c: 3.0
    },
    F64x3 {
        a: -4.0,
        b: 5.5,
        c: -6.5
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F64x4 {
    a: [f64; 4],
}
shape!(
    f64x4,
    F64x4,
    "{[f64;4]}",
    F64x4 {
        a: [1.0, -2.0, 3.0, -4.0]
    },
    F64x4 {
        a: [0.5, 0.25, 0.125, 8.0]
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Nested {
    pair: [f32; 2],
    last: F32x1,
}
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct F32x1 {
    a: f32,
}
shape!(
    nested_hfa,
    Nested,
    "{[f32;2],{f32}}",
    Nested {
        pair: [1.0, 2.0],
        last: F32x1 { a: 3.0 }
    },
    Nested {
        pair: [-1.0, -2.0],
        last: F32x1 { a: -3.0 }
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bytes1 {
    a: u8,
}
shape!(bytes1, Bytes1, "{u8}", Bytes1 { a: 0xA5 }, Bytes1 { a: 1 });

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bytes3 {
    a: [u8; 3],
}
shape!(
    bytes3,
    Bytes3,
    "{[u8;3]}",
    Bytes3 { a: [1, 2, 3] },
    Bytes3 {
        a: [0xFF, 0x80, 0x7F]
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bytes5 {
    a: [u8; 5],
}
shape!(
    bytes5,
    Bytes5,
    "{[u8;5]}",
    Bytes5 { a: [1, 2, 3, 4, 5] },
    Bytes5 {
        a: [9, 8, 7, 6, 0xF0]
    }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bytes7 {
    a: [u8; 7],
}
shape!(
    bytes7,
    Bytes7,
    "{[u8;7]}",
    Bytes7 {
        a: [1, 2, 3, 4, 5, 6, 7]
    },
    Bytes7 { a: [0xFE; 7] }
);

#[repr(C, packed)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Packed {
    a: u8,
    b: u32,
}
shape!(
    packed,
    Packed,
    "{u8,u32}@1",
    Packed {
        a: 3,
        b: 0xDEAD_BEEF
    },
    Packed { a: 0xFF, b: 1 }
);

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Big {
    a: [u64; 5],
}
shape!(
    big,
    Big,
    "{[u64;5]}",
    Big { a: [1, 2, 3, 4, 5] },
    Big {
        a: [u64::MAX, 0, 7, 1 << 63, 9]
    }
);

/// x86 fastcall and thiscall: compilers disagree about structs there, so bare-fn refuses them.
#[cfg(target_arch = "x86")]
#[test]
fn fastcall_and_thiscall_refuse_structs() {
    use bare_fn_core::{SigError, Type};
    let point = || Param::from(Struct::parse("{f64,f64}", Target::HOST).unwrap());
    for conv in [CallConv::Fastcall, CallConv::Thiscall] {
        let err = Signature::new(Type::I32, [Param::from(Type::I32), point()], conv).unwrap_err();
        assert_eq!(err, SigError::StructWithRegisterConvention { conv });
        assert!(err.to_string().starts_with(&format!(
            "structs by value are not supported with x86 {conv}"
        )));
    }
}

/// A handler that panics: the thunk's caller must still get a defined struct (zeros) and, for
/// one returned through memory, that memory written and its address returned.
struct Panics;

impl Handler for Panics {
    fn call(self: &Arc<Self>, _: &mut Frame<'_>) -> u64 {
        panic!("a handler's bug");
    }
    fn on_panic(&self) -> u64 {
        0x1234
    }
}

#[test]
fn a_struct_return_is_zeros_when_the_handler_panics() {
    let big = || Param::from(Struct::parse("{[u64;5]}", Target::HOST).unwrap());
    let sig = Signature::new(big(), Vec::<Param>::new(), CallConv::C).unwrap();
    let thunk = Thunk::new(&sig, Arc::new(Panics)).unwrap();
    // SAFETY: made for () -> Big.
    let f: extern "C" fn() -> Big = unsafe { transmute(thunk.address()) };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let got = f();
    std::panic::set_hook(hook);
    assert_eq!(got, Big { a: [0; 5] });

    let pair = || Param::from(Struct::parse("{f64,i64}", Target::HOST).unwrap());
    let sig = Signature::new(pair(), Vec::<Param>::new(), CallConv::C).unwrap();
    let thunk = Thunk::new(&sig, Arc::new(Panics)).unwrap();
    // SAFETY: made for () -> F64I64.
    let f: extern "C" fn() -> F64I64 = unsafe { transmute(thunk.address()) };
    std::panic::set_hook(Box::new(|_| {}));
    let got = f();
    let _ = std::panic::take_hook();
    assert_eq!(got, F64I64 { a: 0.0, b: 0 });
}
