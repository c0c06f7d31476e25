//! Compiles the C half of testlib (c/): code that tests compare bare-fn with because a C
//! compiler, not bare-fn, decided its layout (layouts.c), how it passes structs (by_value.c), or
//! what the platform's typedefs are (typedefs.c), how it encodes wide strings (text.c).
fn main() {
    println!("cargo:rerun-if-changed=c");
    cc::Build::new()
        .file("c/layouts.c")
        .file("c/by_value.c")
        .file("c/typedefs.c")
        .file("c/text.c")
        .warnings(true)
        .compile("testlib_c");
}
