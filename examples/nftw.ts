// Walks a directory tree with libc's nftw, reading the `struct stat` and `struct FTW` it hands
// each callback with memory.read (Linux; run: npm run example:nftw -- <dir>).
import { BareFn, Library, memory, sig, t } from '../src/index.js';

import { FTW, Stat } from './stat.js';

const FTW_PHYS = 1; // do not follow symbolic links
// A file: 0 in glibc's ftw.h, 1 in musl's (whose struct stat is glibc's, field names aside).
const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime !== undefined;
const FTW_F = glibc ? 0 : 1;

const libc = Library.open('libc.so.6');
const Visit = sig(t.i32, [t.cstring, t.pointer, t.i32, t.pointer]);
const nftw = libc.fn('nftw', sig(t.i32, [t.cstring, t.pointer, t.i32, t.i32]));

const root = process.argv[2] ?? '.';
let files = 0;
let bytes = 0n;
{
  using visit = new BareFn(Visit, (path, statPointer, flag, ftwPointer) => {
    const stat = memory.read(Stat, statPointer);
    const { level } = memory.read(FTW, ftwPointer);
    if (flag === FTW_F) {
      files++;
      bytes += stat.st_size;
    }
    console.log(`${'  '.repeat(level)}${path} ${flag === FTW_F ? `${stat.st_size} bytes` : 'dir'} mode ${(stat.st_mode & 0o7777).toString(8)}`);
    return 0; // go on
  });
  const result = nftw(root, visit.address, 16, FTW_PHYS);
  if (result !== 0) throw new Error(`nftw failed: ${result}`);
}
console.log(`${files} files, ${bytes} bytes`);
