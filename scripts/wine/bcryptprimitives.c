/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Rust's standard library (1.78+) takes
 * its random bytes from ProcessPrng in this DLL, so without it every Windows test binary
 * fails to load under Debian's wine64 (8.0). This forwards to RtlGenRandom
 * (advapi32!SystemFunction036), which Wine has. Test environment only; real Windows ships
 * the DLL. Built into the test prefix's system32 by scripts/test.sh.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
