//! Narrowing the bits of a register to a type: garbage above a narrow type's width is ignored.

use bare_fn_core::Type;

const GARBAGE: u64 = 0x5A5A_5A5A_5A5A_5A00;

#[test]
fn narrow_integers_ignore_upper_bits() {
    assert_eq!(Type::U8.normalize(GARBAGE | 0xAB), 0xAB);
    assert_eq!(Type::I8.normalize(GARBAGE | 0xFE) as i64, -2);
    assert_eq!(Type::U16.normalize(0x5A5A_5A5A_5A5A_0000 | 0xBEEF), 0xBEEF);
    assert_eq!(
        Type::I16.normalize(0x5A5A_5A5A_5A5A_0000 | 0xFFFD) as i64,
        -3
    );
    assert_eq!(
        Type::U32.normalize(0x5A5A_5A5A_0000_0000 | 0xDEAD_BEEF),
        0xDEAD_BEEF
    );
    assert_eq!(Type::I32.normalize(0x5A5A_5A5A_FFFF_FFFB) as i64, -5);
}

#[test]
fn bool_is_its_low_byte() {
    assert_eq!(Type::Bool.normalize(GARBAGE | 1), 1);
    assert_eq!(Type::Bool.normalize(GARBAGE), 0);
    assert_eq!(Type::Bool.normalize(0x02), 1);
}

#[test]
fn wide_types_keep_every_bit() {
    for t in [Type::I64, Type::U64, Type::F64] {
        assert_eq!(t.normalize(u64::MAX), u64::MAX, "{t}");
        assert_eq!(t.normalize(i64::MIN as u64), i64::MIN as u64, "{t}");
    }
}

#[test]
fn pointer_sized_types_keep_the_pointer_width() {
    let bits = usize::BITS;
    let low = u64::MAX >> (64 - bits);
    for t in [Type::Pointer, Type::Usize, Type::CString] {
        assert_eq!(t.normalize(u64::MAX), low, "{t}");
    }
    // isize: the sign bit of the target's pointer width, extended.
    let min = 1u64 << (bits - 1);
    assert_eq!(Type::Isize.normalize(min), min | !low);
    assert_eq!(Type::Isize.normalize(min - 1), min - 1);
}

#[test]
fn f32_is_the_low_half() {
    let denormal = f32::from_bits(1);
    assert_eq!(
        Type::F32.normalize(0xFFFF_FFFF_0000_0000 | u64::from(denormal.to_bits())),
        1
    );
    assert_eq!(
        f32::from_bits(Type::F32.normalize(u64::from((-0.0f32).to_bits())) as u32),
        -0.0
    );
}

#[test]
fn names_round_trip() {
    for t in Type::ALL {
        assert_eq!(Type::from_name(t.name()), Some(t));
    }
    assert_eq!(Type::from_name("int"), None);
}
