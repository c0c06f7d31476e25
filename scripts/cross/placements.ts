// Derives where each argument of a set of test shapes goes on the AArch64 variants from the C
// compiler itself, not from reading the ABI documents: for each shape and target, clang compiles
// a C caller passing a distinct constant per argument, and this script reads from the assembly
// which register or stack byte each constant was put in. Writes
// crates/core/tests/placements/aarch64.rs, which tests/placements.rs compares with bare-fn's
// layout; `--check` fails instead when the checked-in file differs from what clang says now.
//
// Apple's variant cannot run here (no macOS); its placements come from this only. clang must be
// run with store merging off, or it writes two adjacent constant bytes as one halfword.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

type CType = 'u8' | 'i8' | 'bool' | 'u16' | 'i16' | 'u32' | 'i32' | 'u64' | 'i64' | 'f32' | 'f64' | 'pointer';

const C_NAME: Record<CType, string> = {
  u8: 'uint8_t', i8: 'int8_t', bool: 'bool', u16: 'uint16_t', i16: 'int16_t', u32: 'uint32_t', i32: 'int32_t',
  u64: 'uint64_t', i64: 'int64_t', f32: 'float', f64: 'double', pointer: 'void *',
};
const RUST_TYPE: Record<CType, string> = {
  u8: 'U8', i8: 'I8', bool: 'Bool', u16: 'U16', i16: 'I16', u32: 'U32', i32: 'I32', u64: 'U64', i64: 'I64', f32: 'F32', f64: 'F64', pointer: 'Pointer',
};

const P8: CType[] = Array(8).fill('pointer');
const D8: CType[] = Array(8).fill('f64');
/** Shapes named after libffi's tests: each changes where some argument goes on some variant. */
const SHAPES: Record<string, CType[]> = {
  mixed_registers: ['i32', 'f64', 'pointer', 'f32', 'u8', 'f64'],
  narrow_on_stack: [...P8, 'u8', 'u8', 'u16', 'i32', 'u8', 'i64', 'bool'],
  floats_on_stack: [...D8, 'f32', 'f32', 'f64', 'f32', 'u8'],
  many_mixed: ['i8', 'f32', 'u16', 'f64', 'i32', 'f32', 'u64', 'f64', 'i64', 'f32', 'f64', 'bool', 'f32', 'f64', 'u8', 'f64'],
  sixteen_narrow: ['u8', 'i16', 'u8', 'i16', 'u8', 'i16', 'u8', 'i16', 'u8', 'i16', 'u8', 'i16', 'u8', 'i16', 'u8', 'i16'],
  ints_then_floats: [...P8, 'u32', ...D8.slice(0, 6), 'f32'],
};

const TARGETS = { Darwin: 'arm64-apple-macos11', Standard: 'aarch64-linux-gnu', Windows: 'aarch64-pc-windows-msvc' } as const;

type Loc = { gp: number } | { fp: number } | { stack: number };
type Value = { int: bigint } | { float: number };

/** The constant argument i of a shape carries: small distinct integers, distinct floats that
 * fmov can encode, true for bool (one per shape at most). */
function valueOf(type: CType, i: number): Value {
  if (type === 'f32' || type === 'f64') return { float: i + 1 };
  if (type === 'bool') return { int: 1n };
  return { int: BigInt(0x11 + i) };
}

function cSource(types: CType[]): string {
  const literal = (type: CType, i: number) => {
    const v = valueOf(type, i);
    if ('float' in v) return type === 'f32' ? `${v.float}.0f` : `${v.float}.0`;
    return type === 'pointer' ? `(void *)${v.int}` : `${v.int}`;
  };
  return [
    '#include <stdint.h>',
    '#include <stdbool.h>',
    `extern void callee(${types.map((t) => C_NAME[t]).join(', ')});`,
    `void probe(void) { callee(${types.map(literal).join(', ')}); }`,
  ].join('\n');
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const bitsOf = (value: number, size: 4 | 8): bigint => {
  if (size === 4) {
    f32[0] = value;
    return BigInt(u32[0]!);
  }
  f64[0] = value;
  return u64[0]!;
};

/** A stack store: its bytes as an integer, and how many. */
type Stored = { bits: bigint; size: number };

/** Registers and stack stores at the call in clang's AArch64 output. */
function placements(asm: string): { gp: Map<number, bigint>; fp: Map<number, number>; stack: Map<number, Stored> } {
  const gp = new Map<number, bigint>();
  const fpRegs = new Map<number, { value: number; size: 4 | 8 }>();
  const stack = new Map<number, Stored>();
  let atCall: ReturnType<typeof placements> | undefined;
  const store = (reg: string, offset: number, width?: number) => {
    const kind = reg[0]!;
    const n = Number(reg.slice(1));
    const size = width ?? (kind === 'x' || kind === 'd' ? 8 : 4);
    const bits = kind === 's' || kind === 'd' ? bitsOf(fpRegs.get(n)!.value, size as 4 | 8) : gp.get(n)!;
    stack.set(offset, { bits: BigInt.asUintN(size * 8, bits), size });
  };
  for (const raw of asm.split('\n')) {
    const line = raw.replace(/\s*(\/\/|;).*$/, '').trim();
    if (line.endsWith(':')) continue; // a label
    if (/\bx(29|30)\b/.test(line)) continue; // the frame record, not an argument
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^mov\s+[wx](\d+),\s*#(-?\d+)$/))) gp.set(Number(m[1]), BigInt.asUintN(64, BigInt(m[2]!)));
    else if ((m = line.match(/^movk\s+[wx](\d+),\s*#(\d+)(?:,\s*lsl #(\d+))?$/))) {
      const shift = BigInt(m[3] ?? 0);
      const old = gp.get(Number(m[1])) ?? 0n;
      gp.set(Number(m[1]), (old & ~(0xffffn << shift)) | (BigInt(m[2]!) << shift));
    } else if ((m = line.match(/^mov\s+[wx](\d+),\s*[wx](\d+)$/))) gp.set(Number(m[1]), gp.get(Number(m[2]))!);
    else if ((m = line.match(/^fmov\s+([sd])(\d+),\s*#([-\d.e+]+)$/))) fpRegs.set(Number(m[2]), { value: Number(m[3]), size: m[1] === 's' ? 4 : 8 });
    else if ((m = line.match(/^str([bh]?)\s+([wxsd]\d+),\s*\[sp(?:,\s*#(\d+))?\]$/))) store(m[2]!, Number(m[3] ?? 0), m[1] === 'b' ? 1 : m[1] === 'h' ? 2 : undefined);
    else if ((m = line.match(/^stp\s+([wxsd]\d+),\s*([wxsd]\d+),\s*\[sp(?:,\s*#(\d+))?\]$/))) {
      const size = m[1]![0] === 'x' || m[1]![0] === 'd' ? 8 : 4;
      store(m[1]!, Number(m[3] ?? 0));
      store(m[2]!, Number(m[3] ?? 0) + size);
    } else if (/^bl\s+_?callee$/.test(line)) {
      const fp = new Map([...fpRegs].map(([n, r]) => [n, r.value]));
      atCall = { gp: new Map(gp), fp, stack: new Map(stack) };
    } else if (/^[a-z]/.test(line) && !/^(sub|add|ret|ldp|ldr)\b/.test(line)) throw new Error(`unexpected instruction: ${line}`);
  }
  if (!atCall) throw new Error('no call to callee');
  return atCall;
}

function locate(types: CType[], asm: string): Loc[] {
  const at = placements(asm);
  return types.map((type, i) => {
    const v = valueOf(type, i);
    const found: Loc[] = [];
    if ('float' in v) {
      const size = type === 'f32' ? 4 : 8;
      for (const [n, x] of at.fp) if (n < 8 && x === v.float) found.push({ fp: n });
      for (const [offset, w] of at.stack) if (w.size === size && w.bits === bitsOf(v.float, size)) found.push({ stack: offset });
    } else {
      for (const [n, x] of at.gp) if (n < 8 && (x & 0xffn) === v.int) found.push({ gp: n });
      for (const [offset, w] of at.stack) if ((w.bits & 0xffn) === v.int) found.push({ stack: offset });
    }
    if (found.length !== 1) throw new Error(`argument ${i} (${type}): found at ${JSON.stringify(found)}`);
    return found[0]!;
  });
}

const rustLoc = (l: Loc) => ('gp' in l ? `Gp(${l.gp})` : 'fp' in l ? `Fp(${l.fp})` : `Stack(${l.stack})`);

const lines = [
  '// Generated by scripts/cross/placements.ts from clang\'s AArch64 output (the compiler decides, not',
  '// a reading of the ABI documents); regenerate with `npm run test:cross`, never edit by hand.',
  `// ${execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
  '',
  '/// (shape name, argument types, [(variant, one location per argument)]).',
  'pub const PLACEMENTS: &[Shape] = &[',
];
for (const [name, types] of Object.entries(SHAPES)) {
  lines.push(`    (`, `        "${name}",`, `        &[${types.map((t) => RUST_TYPE[t]).join(', ')}],`, '        &[');
  for (const [variant, triple] of Object.entries(TARGETS)) {
    const asm = execFileSync('clang', [`--target=${triple}`, '-O1', '-S', '-mllvm', '-combiner-store-merging=false', '-x', 'c', '-', '-o', '-'], { input: cSource(types), encoding: 'utf8' });
    lines.push(`            (Aapcs64::${variant}, &[${locate(types, asm).map(rustLoc).join(', ')}]),`);
  }
  lines.push('        ],', '    ),');
}
lines.push('];', '');
const out = path.join(__dirname, '..', '..', 'crates', 'core', 'tests', 'placements', 'aarch64.rs');
// As `cargo fmt` would leave it, so that formatting the workspace never changes it.
const text = execFileSync('rustfmt', ['--edition', '2021'], { input: lines.join('\n'), encoding: 'utf8' });
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== text) throw new Error(`${out} differs from what clang says now: run this script without --check and review the change`);
} else {
  writeFileSync(out, text);
}
