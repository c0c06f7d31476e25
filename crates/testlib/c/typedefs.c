// The C compiler's size and signedness of the typedefs bare-fn knows by name (src/lib/c-typedefs.ts):
// the truth a test compares bare-fn's reading of each name with. Only the names this platform's
// headers declare are listed (mingw-w64 has pid_t, 64-bit on x64, but the CRT has none: bare-fn
// does not know it on Windows).
//
// time_t on Windows ia32: MSVC's is 64-bit (since Visual C++ 2005, unless _USE_32BIT_TIME_T), and
// so is bare-fn's, following the compiler of the published package; mingw-w64 (for msvcrt.dll,
// whose old time functions are 32-bit) makes it 32-bit on x86 unless asked for MSVC's: ask here,
// so that the table holds MSVC's size. Nothing else in mingw-w64's headers reads this switch.
#if defined(__MINGW32__) && !defined(_WIN64)
#define __MINGW_USE_VC2005_COMPAT 1
#endif
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <wchar.h>
#include <uchar.h>
#include <sys/types.h>
#ifdef _WIN32
// Winsock's headers first: windows.h would otherwise bring the old winsock.h.
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#else
#include <sys/socket.h>
#include <sys/time.h>
#endif

struct entry {
  const char *name;
  uint32_t size;
  // 1: a signed integer or a float, 0: an unsigned integer, 2: a pointer.
  uint32_t kind;
};

#define INTEGER(T) { #T, sizeof(T), (T)-1 > (T)0 ? 0 : 1 }
#define POINTER(T) { #T, sizeof(T), 2 }

static const struct entry entries[] = {
  INTEGER(off_t), INTEGER(time_t), INTEGER(clock_t), INTEGER(mode_t),
  INTEGER(socklen_t), INTEGER(wchar_t), INTEGER(char16_t), INTEGER(char32_t),
  INTEGER(intmax_t), INTEGER(uintmax_t),
  INTEGER(int_least8_t), INTEGER(int_least16_t), INTEGER(int_least32_t), INTEGER(int_least64_t),
  INTEGER(uint_least8_t), INTEGER(uint_least16_t), INTEGER(uint_least32_t), INTEGER(uint_least64_t),
  INTEGER(int_fast8_t), INTEGER(int_fast16_t), INTEGER(int_fast32_t), INTEGER(int_fast64_t),
  INTEGER(uint_fast8_t), INTEGER(uint_fast16_t), INTEGER(uint_fast32_t), INTEGER(uint_fast64_t),
#ifndef _WIN32
  INTEGER(pid_t), INTEGER(suseconds_t), INTEGER(uid_t), INTEGER(gid_t),
#else
  INTEGER(BYTE), INTEGER(BOOLEAN), INTEGER(CHAR), INTEGER(UCHAR), INTEGER(WORD), INTEGER(SHORT),
  INTEGER(USHORT), INTEGER(WCHAR), INTEGER(ATOM), INTEGER(DWORD), INTEGER(BOOL), INTEGER(INT),
  INTEGER(UINT), INTEGER(LONG), INTEGER(ULONG), INTEGER(LONGLONG), INTEGER(ULONGLONG),
  INTEGER(DWORD64), INTEGER(DWORDLONG), INTEGER(COLORREF), INTEGER(FLOAT), INTEGER(HRESULT),
  INTEGER(LCID), INTEGER(LANGID), INTEGER(SIZE_T), INTEGER(SSIZE_T), INTEGER(INT_PTR),
  INTEGER(UINT_PTR), INTEGER(LONG_PTR), INTEGER(ULONG_PTR), INTEGER(DWORD_PTR), INTEGER(WPARAM),
  INTEGER(LPARAM), INTEGER(LRESULT),
  POINTER(HANDLE), POINTER(HWND), POINTER(HINSTANCE), POINTER(HMODULE), POINTER(HKEY), POINTER(HDC),
  POINTER(HMENU), POINTER(HICON), POINTER(HCURSOR), POINTER(HBRUSH), POINTER(HFONT), POINTER(HBITMAP),
  POINTER(HGLOBAL), POINTER(HLOCAL), POINTER(HMONITOR), POINTER(HRGN), POINTER(HPEN), POINTER(FARPROC),
  POINTER(LPVOID), POINTER(LPCVOID), POINTER(PVOID), POINTER(LPSTR), POINTER(LPWSTR), POINTER(PWSTR),
  POINTER(LPDWORD), POINTER(LPBYTE), POINTER(LPBOOL), POINTER(LPHANDLE), POINTER(LPCSTR), POINTER(PCSTR),
  POINTER(LPCWSTR), POINTER(PCWSTR),
#endif
};

// Entry `index`: its name, with its size and kind written; NULL past the last one.
const char *c_typedef(uint32_t index, uint32_t *size, uint32_t *kind) {
  if (index >= sizeof entries / sizeof entries[0]) return NULL;
  *size = entries[index].size;
  *kind = entries[index].kind;
  return entries[index].name;
}
