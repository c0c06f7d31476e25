//! Struct layout: the host's against rustc's `repr(C)` (which follows the platform's C ABI), every
//! target's differences by rule, packing, descriptors and their errors.

use std::mem::{align_of, offset_of, size_of};

use bare_fn_core::abi::{Arch, Os, Target};
use bare_fn_core::structs::{Struct, StructError, MAX_DEPTH, MAX_SIZE};

fn host(descriptor: &str) -> Struct {
    Struct::parse(descriptor, Target::HOST).unwrap_or_else(|e| panic!("{descriptor}: {e}"))
}

/// Declares a `repr(C)` struct and checks the layout of `descriptor` against it.
macro_rules! same_as_repr_c {
    ($name:ident $(#[$attr:meta])* { $($field:ident : $ty:ty),+ } = $descriptor:literal) => {{
        #[repr(C)]
        $(#[$attr])*
        #[allow(dead_code)]
        struct $name { $($field: $ty),+ }
        let laid = host($descriptor);
        assert_eq!(laid.size(), size_of::<$name>(), "size of {}", $descriptor);
        assert_eq!(laid.align(), align_of::<$name>(), "align of {}", $descriptor);
        assert_eq!(laid.offsets(), [$(offset_of!($name, $field)),+], "offsets of {}", $descriptor);
    }};
}

#[repr(C)]
struct Point {
    x: f64,
    y: f64,
}

#[test]
fn the_host_lays_out_structs_as_repr_c_does() {
    same_as_repr_c!(A { a: i32 } = "{i32}");
    same_as_repr_c!(B { a: i64, b: i64 } = "{i64,i64}");
    same_as_repr_c!(
        C {
            a: f32,
            b: f32,
            c: f32,
            d: f32
        } = "{f32,f32,f32,f32}"
    );
    same_as_repr_c!(D { a: f32, b: i32 } = "{f32,i32}");
    same_as_repr_c!(E { a: i8, b: f64 } = "{i8,f64}");
    same_as_repr_c!(
        F {
            a: f64,
            b: f64,
            c: f64
        } = "{f64,f64,f64}"
    );
    same_as_repr_c!(G { a: u8, b: u16 } = "{u8,u16}");
    same_as_repr_c!(H { a: [u8; 3] } = "{[u8;3]}");
    same_as_repr_c!(I { a: u8, b: [u16; 3] } = "{u8,[u16;3]}");
    same_as_repr_c!(
        J {
            len: u8,
            text: [u8; 15]
        } = "{u8,[u8;15]}"
    );
    same_as_repr_c!(
        K {
            origin: Point,
            size: Point
        } = "{{f64,f64},{f64,f64}}"
    );
    same_as_repr_c!(
        L {
            a: u8,
            p: Point,
            b: u8
        } = "{u8,{f64,f64},u8}"
    );
    same_as_repr_c!(
        M {
            a: u8,
            b: u64,
            c: bool
        } = "{u8,u64,bool}"
    );
    same_as_repr_c!(N { a: u8, p: *const u8, s: usize, i: isize } = "{u8,pointer,usize,isize}");
    same_as_repr_c!(O { a: u8, s: *const u8 } = "{u8,cstring}");
    same_as_repr_c!(
        P {
            a: [Point; 2],
            b: u32
        } = "{[{f64,f64};2],u32}"
    );
    same_as_repr_c!(
        Q {
            a: [[u16; 3]; 2],
            b: u8
        } = "{[[u16;3];2],u8}"
    );
    // #pragma pack(n) is repr(C, packed(n)): members aligned to at most n.
    same_as_repr_c!(R #[repr(packed(1))] { a: u8, b: u32 } = "{u8,u32}@1");
    same_as_repr_c!(S #[repr(packed(2))] { a: u8, b: u32, c: u8 } = "{u8,u32,u8}@2");
    same_as_repr_c!(T #[repr(packed(4))] { a: u8, b: f64 } = "{u8,f64}@4");
    same_as_repr_c!(U #[repr(packed(16))] { a: u8, b: f64 } = "{u8,f64}@16");
}

#[test]
fn x86_linux_aligns_8_byte_members_to_4_and_windows_to_8() {
    let linux = Target {
        arch: Arch::X86,
        os: Os::Linux,
    };
    let windows = Target {
        arch: Arch::X86,
        os: Os::Windows,
    };
    for (target, size, align) in [(linux, 12, 4), (windows, 16, 8)] {
        for descriptor in ["{i8,f64}", "{i8,i64}", "{i8,u64}"] {
            let s = Struct::parse(descriptor, target).unwrap();
            assert_eq!(
                (s.size(), s.align(), s.offsets()),
                (size, align, &[0, align][..]),
                "{descriptor} on {target}"
            );
        }
    }
    // Pointers and sizes are 4 bytes there.
    let s = Struct::parse("{u8,pointer,usize}", linux).unwrap();
    assert_eq!((s.size(), s.offsets()), (12, &[0, 4, 8][..]));
    for arch in [Arch::X86_64, Arch::Aarch64] {
        for os in [Os::Linux, Os::MacOs, Os::Windows] {
            let s = Struct::parse("{i8,f64,u8,pointer}", Target { arch, os }).unwrap();
            assert_eq!(
                (s.size(), s.align(), s.offsets()),
                (32, 8, &[0, 8, 16, 24][..])
            );
        }
    }
}

/// Declares a `repr(C)` union and checks the layout of `descriptor` against it: every member at
/// offset 0, the size the largest member's rounded up to the largest alignment.
macro_rules! same_as_repr_c_union {
    ($name:ident { $($field:ident : $ty:ty),+ } = $descriptor:literal) => {{
        #[repr(C)]
        #[allow(dead_code)]
        union $name { $($field: $ty),+ }
        let laid = host($descriptor);
        assert!(laid.is_union(), "{} is a union", $descriptor);
        assert_eq!(laid.size(), size_of::<$name>(), "size of {}", $descriptor);
        assert_eq!(laid.align(), align_of::<$name>(), "align of {}", $descriptor);
        assert_eq!(laid.offsets(), [$(offset_of!($name, $field)),+], "offsets of {}", $descriptor);
    }};
}

#[derive(Clone, Copy)]
#[repr(C)]
struct Odd {
    a: u8,
    b: u16,
}

#[test]
fn the_host_lays_out_unions_as_repr_c_does() {
    same_as_repr_c_union!(U1 { a: i32, b: f32 } = "<i32,f32>");
    same_as_repr_c_union!(U2 { a: u8, b: f64 } = "<u8,f64>");
    same_as_repr_c_union!(U3 { a: [u8; 5], b: u32 } = "<[u8;5],u32>");
    same_as_repr_c_union!(U4 { a: Odd, b: [u8; 7] } = "<{u8,u16},[u8;7]>");
    same_as_repr_c_union!(
        U5 {
            a: f32,
            b: [f32; 3]
        } = "<f32,[f32;3]>"
    );
    // A union inside a struct is a member like any other.
    #[repr(C)]
    #[allow(dead_code)]
    union Inner {
        a: u8,
        b: u32,
    }
    same_as_repr_c!(
        S {
            tag: u8,
            value: Inner,
            after: u8
        } = "{u8,<u8,u32>,u8}"
    );
}

#[test]
fn packed_unions_cap_their_alignment() {
    let packed = host("<u8,f64>@2");
    assert_eq!((packed.size(), packed.align()), (8, 2));
    let odd = host("<[u8;3],u16>@1");
    assert_eq!(
        (odd.size(), odd.align(), odd.offsets()),
        (3, 1, &[0, 0][..])
    );
    // The leaves overlap: what ABIs classify a union by.
    assert_eq!(
        host("<{f32,f32},f64>").leaves(),
        [
            (0, bare_fn_core::Type::F32),
            (4, bare_fn_core::Type::F32),
            (0, bare_fn_core::Type::F64)
        ]
    );
}

#[test]
fn descriptors_print_back_as_parsed() {
    for descriptor in [
        "{i32}",
        "{u8,[u8;15]}",
        "{{f64,f64},{f64,f64}}",
        "{u8,u32}@1",
        "{[{u8,u16}@1;3],cstring}@2",
        "<u8,f64>",
        "{u8,<{u16,u8},[u8;3]>@1}",
    ] {
        assert_eq!(host(descriptor).to_string(), descriptor);
    }
}

#[test]
fn messages_name_long_structs_briefly() {
    let short = "{[{u8,u16}@1;3],cstring}@2";
    assert_eq!(host(short).brief(), short);
    let wide = format!("{{{}}}", vec!["u8"; 4096].join(","));
    assert_eq!(
        host(&wide).brief(),
        "{u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,u8,…, 4096 fields, 4096 bytes}"
    );
    // Cut between members of the outer struct, not inside a nested one.
    let nested = format!("{{{}}}", ["{f64,f64,f64}"; 10].join(","));
    assert_eq!(
        host(&nested).brief(),
        "{{f64,f64,f64},{f64,f64,f64},…, 10 fields, 240 bytes}"
    );
    let one_member = format!("{{{{{}}}}}", vec!["u8"; 100].join(","));
    assert_eq!(host(&one_member).brief(), "{…, 1 field, 100 bytes}");
}

#[test]
fn bad_structs_are_errors_not_truncations() {
    let parse = |d: &str| Struct::parse(d, Target::HOST).unwrap_err();
    assert_eq!(parse("{}"), StructError::Empty);
    assert_eq!(parse("{i32,void}"), StructError::Void);
    assert_eq!(parse("{[void;2]}"), StructError::Void);
    assert_eq!(parse("{[u8;0]}"), StructError::ZeroLength);
    assert_eq!(parse("{u8}@3"), StructError::Pack(3));
    assert_eq!(parse("{u8}@32"), StructError::Pack(32));
    assert_eq!(
        parse(&format!("{{[u8;{}]}}", MAX_SIZE + 1)),
        StructError::TooLarge
    );
    assert_eq!(
        parse("{[u8;99999999999999999999999]}"),
        StructError::TooLarge
    );
    assert_eq!(
        parse(&format!("{{[u64;{}]}}", MAX_SIZE / 8 + 1)),
        StructError::TooLarge
    );
    // Within the limit before rounding, beyond it after: the tail padding counts.
    assert_eq!(
        parse(&format!("{{u64,[u8;{}]}}", MAX_SIZE - 8)),
        StructError::TooLarge
    );
    assert_eq!(host(&format!("{{[u8;{MAX_SIZE}]}}")).size(), MAX_SIZE);
    assert_eq!(
        parse("{i32"),
        StructError::Syntax {
            at: 4,
            expected: "',' or '}'"
        }
    );
    assert_eq!(
        parse("{i33}"),
        StructError::Syntax {
            at: 1,
            expected: "a type name, '{', '<' or '['"
        }
    );
    assert_eq!(parse("<>"), StructError::Empty);
    assert_eq!(
        parse("<u8,u16}"),
        StructError::Syntax {
            at: 7,
            expected: "',' or '>'"
        }
    );
    assert_eq!(
        parse("(u8)"),
        StructError::Syntax {
            at: 0,
            expected: "'{' or '<'"
        }
    );
    assert_eq!(
        parse("{[u8 3]}"),
        StructError::Syntax {
            at: 4,
            expected: "';'"
        }
    );
    assert_eq!(
        parse("{u8}x"),
        StructError::Syntax {
            at: 4,
            expected: "the end"
        }
    );
    assert_eq!(
        parse("{u8}@"),
        StructError::Syntax {
            at: 5,
            expected: "a number"
        }
    );
    assert_eq!(
        StructError::Pack(3).to_string(),
        "pack must be 1, 2, 4, 8 or 16; got 3"
    );
}

/// `{u8}` inside `depth` structs, and `u8` inside `depth` arrays of one, in a struct.
fn nested(depth: usize) -> [String; 2] {
    [
        format!("{}{{u8}}{}", "{".repeat(depth), "}".repeat(depth)),
        format!("{{{}u8{}}}", "[".repeat(depth), ";1]".repeat(depth)),
    ]
}

#[test]
fn nesting_is_bounded_without_overflowing_the_stack() {
    for descriptor in nested(MAX_DEPTH) {
        let laid = Struct::parse(&descriptor, Target::HOST).unwrap();
        assert_eq!((laid.size(), laid.leaves().len()), (1, 1));
    }
    // Far deeper than a thread's stack would take: refused before it recurses that far (4 MiB
    // is enough for MAX_DEPTH levels in a debug build, and far from enough for a million).
    for depth in [MAX_DEPTH + 1, 1_000_000] {
        let small_stack = std::thread::Builder::new().stack_size(4 << 20);
        let results = small_stack
            .spawn(move || nested(depth).map(|d| Struct::parse(&d, Target::HOST)))
            .unwrap()
            .join()
            .unwrap();
        for result in results {
            assert_eq!(result.unwrap_err(), StructError::TooDeep, "{depth} deep");
        }
    }
}
