//! Compiles the C half of testlib (c/): code that tests compare bare-fn with because a C
//! compiler, not bare-fn, decided its layout.
fn main() {
    println!("cargo:rerun-if-changed=c");
    cc::Build::new()
        .file("c/layouts.c")
        .warnings(true)
        .compile("testlib_c");
}
