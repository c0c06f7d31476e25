// Writes the generated C of crates/testlib/c: shapes.h, layouts.c and by_value.c (see
// __test__/helpers/layouts-c.ts and by-value-c.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { testlibC } from '../__test__/helpers/by-value-c.js';

for (const [name, text] of Object.entries(testlibC())) {
  writeFileSync(path.join(__dirname, '..', 'crates', 'testlib', 'c', name), text);
}
