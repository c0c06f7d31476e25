// Where the suite runs: the platform package name the loader (src/lib/native.ts) loads, and the files the tests
// open on it. The cross-platform runs (scripts/cross) build testlib for another target and say
// where with BARE_FN_TESTLIB.
import path from 'node:path';

import type { Abi } from '../../src/index.js';
import { platformTriple } from '../../src/lib/platform.js';

const root = path.resolve(__dirname, '..', '..');

/** The platform part of the addon's and the platform package's names (`linux-x64-gnu`, …). */
export const platformName = platformTriple();

export const addonPath = path.join(root, `bare-fn.${platformName}.node`);

const TESTLIB_FILE: Partial<Record<NodeJS.Platform, string>> = { win32: 'bare_fn_testlib.dll', darwin: 'libbare_fn_testlib.dylib' };

/** crates/testlib as built for this platform. */
export const testlibPath = process.env.BARE_FN_TESTLIB ?? path.join(root, 'target', 'release', TESTLIB_FILE[process.platform] ?? 'libbare_fn_testlib.so');

/** Linux with glibc (not musl): the system's own libraries (zlib, expat, GLib, SQLite) are built
 * for glibc, and only a glibc process loads them. */
export const glibc = platformName.endsWith('-gnu');

const LIBC: Partial<Record<NodeJS.Platform, string>> = { win32: 'msvcrt.dll', darwin: '/usr/lib/libSystem.B.dylib' };

/** The C library, as Library.open takes it here (glibc's soname on Linux, which musl's loader
 * also answers with musl's libc). */
export const libcPath = LIBC[process.platform] ?? 'libc.so.6';

/** Rust's ABI strings per target (rustc's abi_map), as the tests expect them: the target's name
 * in error messages and the conventions that exist there. */
const TARGETS: Record<string, { name: string; abis: readonly Abi[] }> = {
  'x64-linux': { name: 'x86_64-linux', abis: ['C', 'system', 'sysv64', 'win64'] },
  'x64-darwin': { name: 'x86_64-macos', abis: ['C', 'system', 'sysv64', 'win64'] },
  'x64-win32': { name: 'x86_64-windows', abis: ['C', 'system', 'stdcall', 'fastcall', 'thiscall', 'sysv64', 'win64'] },
  'arm64-linux': { name: 'aarch64-linux', abis: ['C', 'system'] },
  'arm64-darwin': { name: 'aarch64-macos', abis: ['C', 'system'] },
  'arm64-win32': { name: 'aarch64-windows', abis: ['C', 'system', 'stdcall', 'fastcall', 'thiscall'] },
  'ia32-win32': { name: 'x86-windows', abis: ['C', 'system', 'stdcall', 'fastcall', 'thiscall'] },
};

const here = TARGETS[`${process.arch}-${process.platform}`];
if (here === undefined) throw new Error(`the tests have no expectations for ${process.arch}-${process.platform}`);

/** This target as bare-fn's error messages name it (`x86_64-linux`). */
export const targetName = here.name;
/** The calling conventions that exist on this target. */
export const targetAbis = here.abis;

/**
 * Suffixes of testlib's callers compiled per convention, where a convention of this target is not
 * its C convention (`tl_call_i32_i32_i32` is the C one, `tl_call_i32_i32_i32_win64` the Win64
 * one on Linux x86-64); the aliases of C (`system` outside 32-bit Windows, the x86 names on 64-bit
 * Windows) use the C callers.
 */
const OWN_CALLERS: Partial<Record<string, Partial<Record<Abi, string>>>> = {
  'x64-linux': { win64: '_win64', sysv64: '_sysv64' },
  'x64-darwin': { win64: '_win64', sysv64: '_sysv64' },
  'x64-win32': { sysv64: '_sysv64' },
  'ia32-win32': { system: '_stdcall', stdcall: '_stdcall', fastcall: '_fastcall', thiscall: '_thiscall' },
};

/** testlib's caller `base` compiled for convention `abi` on this target. */
export function callerFor(base: string, abi: Abi): string {
  return base + (OWN_CALLERS[`${process.arch}-${process.platform}`]?.[abi] ?? '');
}

/** Bits of a pointer (and of isize, usize, size_t) in this process, told by Node's architecture,
 * not by bare-fn: 32 on ia32 (Windows x86) and arm, 64 on x64 and arm64. */
export const pointerBits = process.arch === 'ia32' || process.arch === 'arm' ? 32 : 64;
/** The largest usize (and pointer value): 2^64 - 1 or 2^32 - 1. */
export const usizeMax = 2n ** BigInt(pointerBits) - 1n;
/** The smallest and largest isize. */
export const isizeMin = -(2n ** BigInt(pointerBits - 1));
export const isizeMax = 2n ** BigInt(pointerBits - 1) - 1n;
/** An array of addresses as a C function reads it (`void *list[]`): pointer-sized words, of a
 * BigUint64Array on 64-bit targets and of a Uint32Array on 32-bit ones. */
export class PointerList {
  readonly words: BigUint64Array | Uint32Array;
  /** `values` (addresses), or that many NULLs. */
  constructor(values: readonly bigint[] | number) {
    const list = typeof values === 'number' ? new Array<bigint>(values).fill(0n) : values;
    this.words = pointerBits === 64 ? BigUint64Array.from(list) : Uint32Array.from(list, (v) => Number(v));
  }
  set(i: number, address: bigint): void {
    if (this.words instanceof BigUint64Array) this.words[i] = address;
    else this.words[i] = Number(address);
  }
}
