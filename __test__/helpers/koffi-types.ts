// bare-fn's scalar types as koffi names them, and koffi's values as bare-fn gives them: for tests
// that check bare-fn against koffi, an independent FFI.
import { type ValueType } from './testlib.js';

export const KOFFI_NAMES: Record<ValueType, string> = {
  bool: 'bool', i8: 'int8_t', u8: 'uint8_t', i16: 'int16_t', u16: 'uint16_t', i32: 'int32_t', u32: 'uint32_t',
  i64: 'int64_t', u64: 'uint64_t', isize: 'intptr_t', usize: 'uintptr_t', f32: 'float', f64: 'double',
  pointer: 'void *', cstring: 'const char *', cstring16: 'const char16_t *', cstring32: 'const char32_t *',
};
const BIG: ReadonlySet<ValueType> = new Set(['i64', 'u64', 'isize', 'usize', 'pointer']);

const UNSIGNED_BIG: ReadonlySet<ValueType> = new Set(['u64', 'usize', 'pointer']);

/**
 * koffi gives 64-bit values that fit as numbers, NULL pointers as null, and unsigned 64-bit values
 * at or above 2^63 as negative numbers (koffi 3.3.4 converts them as signed); bare-fn gives bigint.
 */
export function fromKoffi(type: ValueType, value: unknown): unknown {
  if (type === 'pointer' && value === null) return 0n;
  if (!BIG.has(type)) return value;
  const big = BigInt(value as number | bigint);
  return UNSIGNED_BIG.has(type) ? BigInt.asUintN(64, big) : big;
}
