// One table of scalar types (crates/napi scalar_types.rs) that every layer derives from: the
// addon's codes, t's, testlib's (which numbers them on its own, crates/testlib raw.rs) and the JS
// types values take must agree, so that a type added to one layer and not another fails here.
import test from 'ava';

import { memory, sig, t, type Type } from '../src/index.js';
import { SCALARS, type TypeName } from '../src/lib/types.js';

import { encodeText, lib } from './helpers/testlib.js';

// The scalar members of t (it also holds struct, array, sizeof…, and the alias wcstring), as the
// readers take them.
type Scalar = Parameters<typeof memory.read>[0] & Type;
const types = Object.entries(t).filter(([key, member]) => typeof member === 'object' && (member as Type).name === key) as [TypeName, Scalar][];

test('the addon, t and testlib number the scalar types alike', (tt) => {
  const codeName = lib.fn('tl_code_name', sig(t.cstring, [t.u8]));
  tt.deepEqual(
    types.map(([name, type]) => [name, codeName(type.code)]),
    types.map(([name]) => [name, name]),
  );
  tt.is(codeName(types.length), null, 'testlib has no more codes than t');
  tt.deepEqual(
    types.map(([name]) => [name, SCALARS[name].code]),
    types.map(([name, type]) => [name, type.code]),
  );
});

test("each scalar type's values are the JS type the table says, read and written at the table's size", (tt) => {
  using block = memory.alloc(16);
  for (const [name, type] of types) {
    const { js, size } = SCALARS[name];
    if (name === 'void') {
      tt.is(js, 'undefined');
      continue;
    }
    memory.writeBytes(block.address, new Uint8Array(16).fill(0xff));
    if (name === 'cstring' || name === 'cstring16' || name === 'cstring32') {
      const text = encodeText(name, 'text \u{1F600}\0');
      memory.write(t.pointer, block.address, memory.addressOf(text));
      tt.is(memory.read(type, block.address), 'text \u{1F600}', name);
      tt.is(typeof memory.read(type, block.address), js);
      continue;
    }
    const value = memory.read(type, block.address);
    tt.is(typeof value, js, name);
    // Zero written at the type's size clears exactly that many bytes.
    memory.write(type, block.address, js === 'bigint' ? 0n : js === 'boolean' ? false : 0);
    const bytes = memory.readBytes(block.address, 16);
    tt.is(bytes.indexOf(0xff), size, `${name}: ${size} bytes`);
  }
});

test("t.wcstring is wchar_t's string type: cstring16 on Windows, cstring32 elsewhere (the C compiler's sizeof(wchar_t))", (tt) => {
  tt.is(t.wcstring, process.platform === 'win32' ? t.cstring16 : t.cstring32);
  tt.is(t.sizeof(sig.c('wchar_t f(void)').ret as never) * 8, t.wcstring === t.cstring16 ? 16 : 32);
});
