// Wide strings as a C compiler writes them (u"" is char16_t UTF-16, U"" char32_t UTF-32): what
// bare-fn's cstring16 and cstring32 are compared with, both ways (wide-strings.test.ts).
#include <stddef.h>
#include <string.h>
#include <stdint.h>
#include <uchar.h>

// The compiler's encoding of a text with a character beyond the BMP (a surrogate pair in UTF-16).
static const char16_t *c16_hello(void) { return u"h\u00e9llo \U0001F600"; }
static const char32_t *c32_hello(void) { return U"h\u00e9llo \U0001F600"; }

// Units before the NUL, and their sum: what C received, unit for unit.
static uint64_t c16_sum(const char16_t *s, size_t *units) {
  uint64_t sum = 0;
  size_t n = 0;
  for (; s[n] != 0; n++) sum += s[n];
  *units = n;
  return sum;
}

static uint64_t c32_sum(const char32_t *s, size_t *units) {
  uint64_t sum = 0;
  size_t n = 0;
  for (; s[n] != 0; n++) sum += s[n];
  *units = n;
  return sum;
}

// Calls a callback with the compiler's string and returns what it returned (a string of its own).
static const char16_t *c16_call(const char16_t *(*cb)(const char16_t *)) { return cb(u"wide \U0001F600 text"); }
static const char32_t *c32_call(const char32_t *(*cb)(const char32_t *)) { return cb(U"wide \U0001F600 text"); }

// A struct with a string member, passed by value to a callback.
struct named16 {
  const char16_t *name;
  int32_t id;
};

static int32_t c16_named(int32_t (*cb)(struct named16)) {
  struct named16 named = { u"n\u00e4me", 42 };
  return cb(named);
}

// The functions above by name (a Rust cdylib exports only Rust's symbols: testlib's
// tl_text_function exports this lookup). A function's address as a data pointer, as POSIX and
// Windows allow.
static const struct {
  const char *name;
  const void *function;
} functions[] = {
  { "c16_hello", (const void *)c16_hello }, { "c32_hello", (const void *)c32_hello },
  { "c16_sum", (const void *)c16_sum }, { "c32_sum", (const void *)c32_sum },
  { "c16_call", (const void *)c16_call }, { "c32_call", (const void *)c32_call },
  { "c16_named", (const void *)c16_named },
};

const void *c_text_function(const char *name) {
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
    if (strcmp(functions[i].name, name) == 0) return functions[i].function;
  }
  return NULL;
}
