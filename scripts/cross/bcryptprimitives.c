/* wine 8 has no bcryptprimitives.dll, where Rust's standard library gets random bytes on Windows
 * (ProcessPrng, for HashMap seeds). This stand-in forwards to advapi32's RtlGenRandom
 * (SystemFunction036); scripts/cross/windows.sh puts it in the wine prefix's system32. Windows
 * itself has the real DLL. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  return SystemFunction036(data, (ULONG)length);
}
