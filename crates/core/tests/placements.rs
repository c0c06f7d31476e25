//! bare-fn's AArch64 layouts against the placements clang chooses for the same C prototypes, on
//! each variant (Linux, Apple, Windows): `placements/aarch64.rs` is generated from clang's
//! assembly by scripts/cross/placements.ts. Pure, so it runs on every host; Apple's variant is
//! checked by nothing else here.

use bare_fn_core::abi::Aapcs64;
use bare_fn_core::layout::Loc::{self, Fp, Gp, Stack};
use bare_fn_core::Type::{self, *};
use bare_fn_core::{Flavor, Param};

/// One shape: its name, its argument types, and per variant one location per argument.
type Shape = (
    &'static str,
    &'static [Type],
    &'static [(Aapcs64, &'static [Loc])],
);

mod placements {
    use super::*;
    include!("placements/aarch64.rs");
}

#[test]
fn aapcs64_layouts_match_clang_on_every_variant() {
    let mut checked = 0;
    for (shape, args, expected) in placements::PLACEMENTS {
        for (variant, locs) in *expected {
            let args: Vec<Param> = args.iter().map(|&t| t.into()).collect();
            let ret = Param::from(Void);
            let actual =
                bare_fn_core::layout::layout(Flavor::Aapcs64(*variant), &ret, &args).locs();
            assert_eq!(actual, *locs, "{shape} on {variant:?}");
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        3 * placements::PLACEMENTS.len(),
        "every shape on three variants"
    );
}
