// Where the test library (crates/testlib) is built by `npm run build:testlib`.
import { join } from 'node:path';

const file = process.platform === 'win32' ? 'bare_fn_testlib.dll' : process.platform === 'darwin' ? 'libbare_fn_testlib.dylib' : 'libbare_fn_testlib.so';
export const testlibPath = join(__dirname, '..', 'target', 'release', file);
