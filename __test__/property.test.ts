// Property test: random signatures (0 to 16 arguments of any type, any return type) with random
// values make the round trip through libffi in both directions, values compared exactly; and
// with random threading modes, called from a thread of koffi's.
import test from 'ava';
import fc from 'fast-check';

import { BareFn, type ErrorInfo, FnPtr, MAX_ARGS, sig, t, type TypeName } from '../src/index.js';
import { isizeMax, isizeMin, usizeMax } from './helpers/platform.js';
import { Recorder, VALUE_TYPES, callViaLibffi, callViaLibffiOnKoffiThread, type ValueType } from './helpers/testlib.js';

const INT_RANGES: Partial<Record<ValueType, [number, number]>> = {
  i8: [-128, 127], u8: [0, 255], i16: [-32768, 32767], u16: [0, 65535], i32: [-(2 ** 31), 2 ** 31 - 1], u32: [0, 2 ** 32 - 1],
};

function valueOf(type: ValueType): fc.Arbitrary<unknown> {
  const range = INT_RANGES[type];
  if (range) return fc.integer({ min: range[0], max: range[1] });
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'i64':
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'isize':
      return fc.bigInt({ min: isizeMin, max: isizeMax });
    case 'usize':
    case 'pointer':
      return fc.bigInt({ min: 0n, max: usizeMax });
    case 'f32':
      return fc.float();
    case 'f64':
      return fc.double();
    case 'cstring':
    case 'cstring16':
    case 'cstring32':
      return fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replaceAll('\0', '')), { nil: null });
    default: // u64
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
  }
}

const typeName = fc.constantFrom(...VALUE_TYPES);
const caseArb = fc
  .record({ ret: fc.constantFrom<TypeName>('void', ...VALUE_TYPES), args: fc.array(typeName, { maxLength: MAX_ARGS }) })
  .chain(({ ret, args }) =>
    fc.record({
      ret: fc.constant(ret),
      args: fc.constant(args),
      values: fc.tuple(...args.map(valueOf)),
      result: ret === 'void' ? fc.constant(undefined) : valueOf(ret),
    }),
  );

const describeCase = (c: { ret: TypeName; args: ValueType[] }) => `(${c.args.join(', ')}) -> ${c.ret}`;

test('random signatures and values, native -> JS through libffi', (tt) => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const s = sig(t[c.ret], c.args.map((a) => t[a]));
      let seen: unknown[] = [];
      using cb = new BareFn(s, ((...args: unknown[]) => {
        seen = args;
        return c.result;
      }) as never);
      const back = callViaLibffi(cb.address, s, c.values);
      tt.deepEqual(seen, c.values, describeCase(c));
      tt.is(back, c.result, describeCase(c));
    }),
    { numRuns: 300 },
  );
});

test('random signatures and values, JS -> native through a libffi recorder', (tt) => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const s = sig(t[c.ret], c.args.map((a) => t[a]));
      using rec = new Recorder(s, c.result);
      const back = (FnPtr.from(rec.address, s) as unknown as (...a: unknown[]) => unknown)(...c.values);
      tt.deepEqual(rec.seen, c.values, describeCase(c));
      tt.is(back, c.result, describeCase(c));
      tt.is(rec.calls, 1);
    }),
    { numRuns: 300 },
  );
});

const modeCase = caseArb.chain((c) =>
  fc.record({
    c: fc.constant(c),
    mode: c.ret === 'void' ? fc.constantFrom('local', 'blocking', 'nonblocking') : fc.constantFrom('local', 'blocking'),
  }),
);

test('random signatures, values and threading modes, called from a koffi worker thread', async (tt) => {
  await fc.assert(
    fc.asyncProperty(modeCase, async ({ c, mode }) => {
      const s = sig(t[c.ret], c.args.map((a) => t[a]));
      const fallback = c.ret === 'void' ? undefined : c.result;
      let seen: unknown[] | undefined;
      const errors: string[] = [];
      let delivered!: () => void;
      const arrived = new Promise<void>((resolve) => (delivered = resolve));
      const options = { threading: mode, onError: (_e: unknown, info: ErrorInfo) => errors.push(info.kind), ...(mode === 'local' && fallback !== undefined ? { fallback } : {}) };
      using cb = new BareFn(s, ((...args: unknown[]) => {
        seen = args;
        delivered();
        return c.result;
      }) as never, options as never);
      const back = await callViaLibffiOnKoffiThread(cb.address, s, c.values);
      const name = `${describeCase(c)} '${mode}'`;
      if (mode === 'local') {
        // Refused on a foreign thread: the fallback comes back, no JS runs, the error is reported.
        tt.is(back, fallback, name);
        while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        tt.deepEqual(errors, ['wrong-thread'], name);
        tt.is(seen, undefined, name);
      } else {
        if (mode === 'nonblocking') await arrived;
        tt.deepEqual(seen, c.values, name);
        tt.is(back, c.result, name);
        tt.deepEqual(errors, [], name);
      }
    }),
    { numRuns: 60 },
  );
});
