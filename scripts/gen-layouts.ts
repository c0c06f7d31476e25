// Writes crates/testlib/c/layouts.c (see __test__/helpers/layouts-c.ts).
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { layoutsC } from '../__test__/helpers/layouts-c.js';

writeFileSync(path.join(__dirname, '..', 'crates', 'testlib', 'c', 'layouts.c'), layoutsC());
