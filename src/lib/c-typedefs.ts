// The platform's typedefs that C declarations may name without giving them (`size_t` and
// `int32_t` are in c-decl.ts's scalars): POSIX and C library types everywhere, and the Win32
// names on Windows. Each stands for a C type whose size the platform decides, written here as
// that C type's spelling per platform (resolved by c-decl.ts like any spelling: `long` is 32-bit
// on Windows and on 32-bit targets). The type-level reader reads the same table.

/** A C type a typedef stands for: a scalar spelling of c-decl.ts, or a pointer. */
type Target =
  | 'int' | 'unsigned int' | 'short' | 'unsigned short' | 'long' | 'unsigned long' | 'long long' | 'unsigned long long'
  | 'signed char' | 'unsigned char' | 'char' | 'float' | 'double'
  | 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t' | 'uint32_t' | 'int64_t' | 'uint64_t'
  | 'intptr_t' | 'uintptr_t' | 'void *' | 'const char *' | 'const wchar_t *';

/** What a typedef stands for on every platform, or per platform, the first that applies: on
 * Windows (`win32`; null: its headers have no such type), on macOS (`darwin`), on Linux for
 * Arm 64 (`linuxArm64`), with musl (`musl`), and elsewhere (`other`: glibc). */
export type TypedefTarget =
  | Target
  | { readonly win32?: Target | null; readonly darwin?: Target; readonly linuxArm64?: Target; readonly musl?: Target; readonly other: Target };

/**
 * POSIX and C library typedefs, as glibc, musl, macOS's libc and Windows' headers (the CRT's, and
 * mingw-w64's for the POSIX names the CRT lacks) declare them. `off_t` is glibc's default
 * (`long`; 64-bit with _FILE_OFFSET_BITS=64 on 32-bit Linux, which a library may be built with:
 * declare `int64_t` then) and 64-bit with musl; `time_t` is 64-bit in the Microsoft CRT since
 * 2005 and with musl since 1.2, `long` with glibc (32-bit on 32-bit Linux without _TIME_BITS=64).
 * testlib's c/typedefs.c has the C compiler's size and signedness of each, which a test compares.
 */
export const C_TYPEDEFS = {
  off_t: { win32: 'long', darwin: 'int64_t', musl: 'int64_t', other: 'long' },
  time_t: { win32: 'int64_t', musl: 'int64_t', other: 'long' },
  clock_t: { darwin: 'unsigned long', other: 'long' },
  suseconds_t: { win32: null, darwin: 'int32_t', musl: 'int64_t', other: 'long' },
  pid_t: { win32: null, other: 'int' },
  uid_t: { win32: null, other: 'unsigned int' },
  gid_t: { win32: null, other: 'unsigned int' },
  mode_t: { win32: 'unsigned short', darwin: 'unsigned short', other: 'unsigned int' },
  socklen_t: { win32: 'int', other: 'unsigned int' },
  wchar_t: { win32: 'unsigned short', linuxArm64: 'unsigned int', other: 'int' },
  char16_t: 'uint16_t',
  char32_t: 'uint32_t',
  intmax_t: 'int64_t',
  uintmax_t: 'uint64_t',
  int_least8_t: 'int8_t',
  int_least16_t: 'int16_t',
  int_least32_t: 'int32_t',
  int_least64_t: 'int64_t',
  uint_least8_t: 'uint8_t',
  uint_least16_t: 'uint16_t',
  uint_least32_t: 'uint32_t',
  uint_least64_t: 'uint64_t',
  // Windows: MSVC's stdint.h (int), the convention of the shipped win32-*-msvc packages; MinGW's
  // makes the 16-bit ones short, which c-decl.test.ts sees in testlib (built with MinGW there).
  int_fast8_t: 'int8_t',
  int_fast16_t: { win32: 'int', darwin: 'int16_t', musl: 'int32_t', other: 'intptr_t' },
  int_fast32_t: { win32: 'int', darwin: 'int32_t', musl: 'int32_t', other: 'intptr_t' },
  int_fast64_t: 'int64_t',
  uint_fast8_t: 'uint8_t',
  uint_fast16_t: { win32: 'unsigned int', darwin: 'uint16_t', musl: 'uint32_t', other: 'uintptr_t' },
  uint_fast32_t: { win32: 'unsigned int', darwin: 'uint32_t', musl: 'uint32_t', other: 'uintptr_t' },
  uint_fast64_t: 'uint64_t',
} as const satisfies Readonly<Record<string, TypedefTarget>>;

/** The Win32 names (windows.h), on Windows only. `LPCWSTR` is a `const wchar_t *` (a UTF-16
 * string, `t.cstring16`), as `LPCSTR` is a C string; `LPSTR` and `LPWSTR` are buffers C writes
 * into: pointers. */
export const WIN32_TYPEDEFS = {
  BYTE: 'unsigned char', BOOLEAN: 'unsigned char', CHAR: 'char', UCHAR: 'unsigned char',
  WORD: 'unsigned short', SHORT: 'short', USHORT: 'unsigned short', WCHAR: 'unsigned short', ATOM: 'unsigned short',
  DWORD: 'unsigned long', BOOL: 'int', INT: 'int', UINT: 'unsigned int', LONG: 'long', ULONG: 'unsigned long',
  LONGLONG: 'int64_t', ULONGLONG: 'uint64_t', DWORD64: 'uint64_t', DWORDLONG: 'uint64_t', COLORREF: 'unsigned long',
  FLOAT: 'float', HRESULT: 'long', LCID: 'unsigned long', LANGID: 'unsigned short',
  SIZE_T: 'uintptr_t', SSIZE_T: 'intptr_t', INT_PTR: 'intptr_t', UINT_PTR: 'uintptr_t', LONG_PTR: 'intptr_t',
  ULONG_PTR: 'uintptr_t', DWORD_PTR: 'uintptr_t', WPARAM: 'uintptr_t', LPARAM: 'intptr_t', LRESULT: 'intptr_t',
  HANDLE: 'void *', HWND: 'void *', HINSTANCE: 'void *', HMODULE: 'void *', HKEY: 'void *', HDC: 'void *',
  HMENU: 'void *', HICON: 'void *', HCURSOR: 'void *', HBRUSH: 'void *', HFONT: 'void *', HBITMAP: 'void *',
  HGLOBAL: 'void *', HLOCAL: 'void *', HMONITOR: 'void *', HRGN: 'void *', HPEN: 'void *', FARPROC: 'void *',
  LPVOID: 'void *', LPCVOID: 'void *', PVOID: 'void *', LPSTR: 'void *', LPWSTR: 'void *', PWSTR: 'void *',
  LPDWORD: 'void *', LPBYTE: 'void *', LPBOOL: 'void *', LPHANDLE: 'void *',
  LPCSTR: 'const char *', PCSTR: 'const char *', LPCWSTR: 'const wchar_t *', PCWSTR: 'const wchar_t *',
} as const satisfies Readonly<Record<string, Target>>;

const windows = process.platform === 'win32';
const linux = process.platform === 'linux';
let muslSeen: boolean | undefined;
/** Linux without glibc: musl (Alpine). Asked once, when a typedef differs with musl (a process
 * report takes about a millisecond). */
function musl(): boolean {
  muslSeen ??= linux && (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime === undefined;
  return muslSeen;
}

/** The character types whose `const` pointers are strings, besides plain `char` (a C string):
 * which string type each makes. `WCHAR` is Windows' name of `wchar_t`. */
export const TEXT_CHARS = {
  char16_t: 'cstring16',
  char32_t: 'cstring32',
  wchar_t: windows ? 'cstring16' : 'cstring32',
  WCHAR: 'cstring16',
} as const;

/** The typedefs of this platform, by name. */
const TYPEDEFS: Readonly<Record<string, TypedefTarget>> = windows ? { ...C_TYPEDEFS, ...WIN32_TYPEDEFS } : C_TYPEDEFS;

/** What the typedef `name` stands for here; undefined if it is not one here. */
export function typedefTarget(name: string): Target | undefined {
  if (!Object.hasOwn(TYPEDEFS, name)) return undefined;
  const target = TYPEDEFS[name]!;
  if (typeof target === 'string') return target;
  if (windows) return target.win32 === null ? undefined : (target.win32 ?? target.other);
  if (process.platform === 'darwin') return target.darwin ?? target.other;
  if (linux && process.arch === 'arm64' && target.linuxArm64 !== undefined) return target.linuxArm64;
  if (target.musl !== undefined && musl()) return target.musl;
  return target.other;
}

/** The C spellings a typedef may stand for, on any platform (for the type-level reader). */
export type TypedefTargets<D extends TypedefTarget> = D extends Target ? D : Exclude<D[keyof D], null | undefined> & Target;
