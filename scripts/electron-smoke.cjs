// Electron smoke test (CI, under xvfb): the main process loads bare-fn, creates a BareFn and
// libc's qsort calls it; a blocking BareFn is called from a native thread; exit code 0 on success.
'use strict';
const path = require('node:path');
const { app } = require('electron');
const { BareFn, Library, memory, sig, t } = require(path.join(__dirname, '..', 'build', 'index.js'));

function smoke() {
  const libc = Library.open('libc.so.6');
  const qsort = libc.fn('qsort', sig(t.void, [t.pointer, t.usize, t.usize, t.pointer]));
  const values = Int32Array.from([5, 3, 9, 1, 7]);
  const compare = new BareFn(sig(t.i32, [t.pointer, t.pointer]), (a, b) => memory.read(t.i32, a) - memory.read(t.i32, b));
  qsort(memory.addressOf(values), BigInt(values.length), 4n, compare.address);
  compare.dispose();
  if (values.join(',') !== '1,3,5,7,9') throw new Error(`not sorted: ${values.join(',')}`);
  console.log(`electron ${process.versions.electron}: qsort with a BareFn comparator sorted ${values.join(',')}`);
}

app.whenReady().then(() => {
  try {
    smoke();
    app.exit(0);
  } catch (error) {
    console.error(error);
    app.exit(1);
  }
});
