// Which objects are signatures sig() made (signature.ts adds each one), for modules that must
// recognize one without importing signature.ts, which imports them (c-decl.ts: a signature in a
// declaration's types is a function pointer typedef).
import type { Signature } from './signature.js';

const made = new WeakSet<object>();

/** Called by sig() for each signature it makes. */
export function madeSignature(signature: object): void {
  made.add(signature);
}

/** Whether `value` is a signature sig() made. */
export function isMadeSignature(value: unknown): value is Signature {
  return typeof value === 'object' && value !== null && made.has(value);
}
