// Library.open's dlopen flags: RTLD_DEEPBIND for a library whose names Node itself exports
// (zlib: from Node 20 the system libz's deflate bound its internal calls to Node's zlib and
// crashed), RTLD_NOW / RTLD_GLOBAL, and errors naming an option a platform has no flag for.
import zlib from 'node:zlib';

import test from 'ava';

import { Library, memory, sig, t } from '../src/index.js';

const glibc = process.platform === 'linux' && (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime !== undefined;
const onGlibc = glibc ? test : undefined;
const windows = process.platform === 'win32';

/** zlib's z_stream (zlib.h), the same on every 64-bit Linux. */
const ZStream = t.struct({
  next_in: t.pointer, avail_in: t.u32, total_in: t.usize,
  next_out: t.pointer, avail_out: t.u32, total_out: t.usize,
  msg: t.pointer, state: t.pointer, zalloc: t.pointer, zfree: t.pointer, opaque: t.pointer,
  data_type: t.i32, adler: t.usize, reserved: t.usize,
});
const Z_FINISH = 4;
const Z_STREAM_END = 1;

/** Runs zlib's `init`, then `step` with Z_FINISH over `input`, then `end`, on a z_stream. */
function stream(z: Library, kind: 'deflate' | 'inflate', input: Uint8Array): Buffer {
  const version = z.fn('zlibVersion', sig(t.cstring, []))();
  const init = kind === 'deflate' ? z.fn('deflateInit_', sig(t.i32, [t.pointer, t.i32, t.cstring, t.i32])) : undefined;
  const inflateInit = z.fn('inflateInit_', sig(t.i32, [t.pointer, t.cstring, t.i32]));
  const step = z.fn(kind, sig(t.i32, [t.pointer, t.i32]));
  const end = z.fn(`${kind}End`, sig(t.i32, [t.pointer]));
  using strm = memory.alloc(ZStream);
  const initialized = init ? init(strm.address, 9, version, t.sizeof(ZStream)) : inflateInit(strm.address, version, t.sizeof(ZStream));
  if (initialized !== 0) throw new Error(`${kind}Init_ failed: ${initialized}`);
  const out = Buffer.alloc(64 * 1024);
  const fresh = memory.read(ZStream, strm.address);
  memory.write(ZStream, strm.address, { ...fresh, next_in: memory.addressOf(input), avail_in: input.length, next_out: memory.addressOf(out), avail_out: out.length });
  const status = step(strm.address, Z_FINISH);
  const { total_out } = memory.read(ZStream, strm.address);
  end(strm.address);
  if (status !== Z_STREAM_END) throw new Error(`${kind} returned ${status}`);
  return out.subarray(0, Number(total_out));
}

onGlibc?.('deepBind: the system libz deflates and inflates from Node (whose own zlib exports the same names), round-tripping with node:zlib', (tt) => {
  using z = Library.open('libz.so.1', { deepBind: true, lazy: false });
  const text = Buffer.from(Array.from({ length: 2000 }, (_, i) => `line ${i % 37} of bare-fn\n`).join(''));
  tt.deepEqual(zlib.inflateSync(stream(z, 'deflate', text)), text);
  tt.deepEqual(stream(z, 'inflate', zlib.deflateSync(text, { level: 1 })), text);
});

test('lazy and global: RTLD_NOW and RTLD_GLOBAL load as the default flags do', (tt) => {
  if (windows) {
    tt.throws(() => Library.open('kernel32.dll', { lazy: false }), { instanceOf: TypeError, message: "Library.open: options.lazy is a dlopen flag; Windows' LoadLibrary has none" });
    return;
  }
  const libm = process.platform === 'darwin' ? '/usr/lib/libSystem.B.dylib' : 'libm.so.6';
  using now = Library.open(libm, { lazy: false, global: true });
  tt.is(now.fn('cos', sig(t.f64, [t.f64]))(0), 1);
  using local = Library.open(libm, { lazy: true, global: false, deepBind: false });
  tt.is(local.fn('sqrt', sig(t.f64, [t.f64]))(2), Math.SQRT2);
});

test('bad options are errors naming them', (tt) => {
  tt.throws(() => Library.open('libm.so.6', { deepbind: true } as never), { instanceOf: TypeError, message: 'Library.open: unknown option "deepbind"; the options are lazy, global, deepBind' });
  tt.throws(() => Library.open('libm.so.6', { global: 1 } as never), { instanceOf: TypeError, message: 'Library.open: options.global must be a boolean; got 1' });
  if (!glibc && !windows) {
    tt.throws(() => Library.open('libm.so.6', { deepBind: true }), { instanceOf: TypeError, message: /^Library.open: options.deepBind needs RTLD_DEEPBIND, which only glibc's dlopen has/ });
  }
});
