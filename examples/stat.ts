// `struct stat` and `struct FTW` of Linux's C library as bare-fn structs, for examples/nftw.ts.
// Their layout differs between architectures (x86-64 kept an older layout; arm64 uses the generic
// one), so each is declared per architecture, with every field, in the order of the headers.
// __test__/structs.test.ts checks sizeof and every offsetof against gcc's for this platform.
import { t } from '../src/index.js';

const timespec = t.struct({ tv_sec: t.i64, tv_nsec: t.i64 });

/** glibc's `struct stat` on x86-64. */
export const StatX64 = t.struct({
  st_dev: t.u64,
  st_ino: t.u64,
  st_nlink: t.u64,
  st_mode: t.u32,
  st_uid: t.u32,
  st_gid: t.u32,
  __pad0: t.i32,
  st_rdev: t.u64,
  st_size: t.i64,
  st_blksize: t.i64,
  st_blocks: t.i64,
  st_atim: timespec,
  st_mtim: timespec,
  st_ctim: timespec,
  __glibc_reserved: t.array(t.i64, 3),
});

/** glibc's `struct stat` on arm64 (the generic layout). */
export const StatArm64 = t.struct({
  st_dev: t.u64,
  st_ino: t.u64,
  st_mode: t.u32,
  st_nlink: t.u32,
  st_uid: t.u32,
  st_gid: t.u32,
  st_rdev: t.u64,
  __pad1: t.u64,
  st_size: t.i64,
  st_blksize: t.i32,
  __pad2: t.i32,
  st_blocks: t.i64,
  st_atim: timespec,
  st_mtim: timespec,
  st_ctim: timespec,
  __glibc_reserved: t.array(t.i32, 2),
});

/** `struct stat` of glibc on this architecture (Linux x64 or arm64). */
export const Stat = process.arch === 'arm64' ? StatArm64 : StatX64;

/** `struct FTW`: the base name's offset in the path, and the depth. */
export const FTW = t.struct({ base: t.i32, level: t.i32 });
