// The symbols a native binary imports, for the Electron checks: GNU nm on ELF, Apple's nm on
// Mach-O, and a reader of the PE import table here on Windows (no binutils there).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Imports of a Windows DLL as `dll!name` (lower-case DLL name). */
function peImports(file: string): string[] {
  const b = readFileSync(file);
  const pe = b.readUInt32LE(0x3c);
  const sections = b.readUInt16LE(pe + 6);
  const optional = pe + 24;
  const pe32plus = b.readUInt16LE(optional) === 0x20b;
  const directories = optional + (pe32plus ? 112 : 96);
  const table = optional + b.readUInt16LE(pe + 20);
  const offset = (rva: number) => {
    for (let i = 0; i < sections; i++) {
      const s = table + 40 * i;
      const [va, size, raw] = [b.readUInt32LE(s + 12), b.readUInt32LE(s + 8), b.readUInt32LE(s + 20)];
      if (rva >= va && rva < va + size) return rva - va + raw;
    }
    throw new Error(`RVA 0x${rva.toString(16)} is in no section of ${file}`);
  };
  const cstring = (at: number) => b.subarray(at, b.indexOf(0, at)).toString('latin1');
  const names: string[] = [];
  for (let d = offset(b.readUInt32LE(directories + 8)); b.readUInt32LE(d + 12) !== 0; d += 20) {
    const dll = cstring(offset(b.readUInt32LE(d + 12))).toLowerCase();
    const width = pe32plus ? 8 : 4;
    for (let t = offset(b.readUInt32LE(d) || b.readUInt32LE(d + 16)); ; t += width) {
      const entry = pe32plus ? b.readBigUInt64LE(t) : BigInt(b.readUInt32LE(t));
      if (entry === 0n) break;
      const byOrdinal = entry >> BigInt(width * 8 - 1) === 1n;
      names.push(`${dll}!${byOrdinal ? `#${entry & 0xffffn}` : cstring(offset(Number(entry & 0x7fffffffn)) + 2)}`);
    }
  }
  return names;
}

/** The symbols `file` imports: plain names on ELF and Mach-O, `dll!name` on Windows. */
export function importsOf(file: string): string[] {
  if (process.platform === 'win32') return peImports(file);
  const args = process.platform === 'darwin' ? ['-u', file] : ['-D', '--undefined-only', file];
  return execFileSync('nm', args, { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1)!)
    .filter(Boolean)
    .map((name) => (process.platform === 'darwin' ? name.replace(/^_/, '') : name));
}
