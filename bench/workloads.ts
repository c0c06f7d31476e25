// What the create + dispose and qsort measurements share between the timed cases (cases/) and the
// instruction counts (instructions-child.ts), so both measure the same code.
import koffi from 'koffi';

import { BareFn, sig, t } from 'bare-fn';

import { floor } from './floor.js';

/** One create + dispose pair of each contender, for the i-th distinct closure (each contender
 * also creates the closure, so that cost is in every row). The closures are inline: tsx keeps
 * function names by defining `name` on each named closure, a cost tsc output does not have. */
export function createDisposePairs(): Record<'floor' | 'bare-fn' | 'koffi', (i: number) => void> {
  const S = sig(t.i32, [t.i32, t.i32]);
  const KProto = koffi.pointer(koffi.proto('int32_t KLife(int32_t, int32_t)'));
  return {
    floor: (i) => floor.benchFloorRefPair((a: number, b: number) => a + b + i),
    'bare-fn': (i) => new BareFn(S, (a, b) => a + b + i).dispose(),
    koffi: (i) => koffi.unregister(koffi.register((a: number, b: number) => a + b + i, KProto)),
  };
}

/** The ordering every qsort contender uses. Not a - b: with random int32 that overflows the i32
 * result (bare-fn reports it as an error). */
export const order = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);

