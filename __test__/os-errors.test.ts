// errno() and lastError(): the error state a C function left, read right after it returned.
import fs from 'node:fs';

import test from 'ava';

import { errno, lastError, Library, sig, t } from '../src/index.js';
import { libcPath } from './helpers/platform.js';

const ENOENT = 2;
const ENOTDIR = 20;
const ERANGE = 34;

const windows = process.platform === 'win32';

test('errno after a failing C library call, kept while Node changes the real one', (tt) => {
  using libc = Library.open(libcPath);
  const chdir = libc.fn(windows ? '_chdir' : 'chdir', sig(t.i32, [t.cstring]));
  const strtol = libc.fn('strtol', sig(t.isize, [t.cstring, t.pointer, t.i32]));
  tt.is(chdir('/bare-fn/no/such/directory'), -1);
  tt.is(errno(), ENOENT);
  // Node's own failing system calls set the thread's errno; errno() keeps the C call's.
  tt.false(fs.existsSync('/bare-fn/no/such/file'));
  tt.throws(() => fs.readdirSync(__filename));
  tt.is(errno(), ENOENT);
  strtol('99999999999999999999999', 0n, 10);
  tt.is(errno(), ERANGE, 'the next call replaces it');
  if (!windows) {
    tt.is(chdir(__filename), -1);
    tt.is(errno(), ENOTDIR);
  }
});

if (windows) {
  test('lastError() after a Windows API call: what SetLastError and a failing GetFileAttributesA left', (tt) => {
    using kernel32 = Library.open('kernel32.dll');
    const setLastError = kernel32.fn('SetLastError', sig(t.void, [t.u32], { abi: 'system' }));
    const getFileAttributes = kernel32.fn('GetFileAttributesA', sig(t.u32, [t.cstring], { abi: 'system' }));
    setLastError(1234);
    tt.is(lastError(), 1234);
    tt.is(getFileAttributes('C:\\bare-fn-no-such-file'), 0xffffffff);
    tt.is(lastError(), 2, 'ERROR_FILE_NOT_FOUND');
  });
} else {
  test('lastError() is Windows-only: elsewhere a TypeError that says to use errno()', (tt) => {
    tt.throws(() => lastError(), { instanceOf: TypeError, message: `lastError() is Windows' GetLastError(); on ${process.platform} use errno()` });
  });
}
