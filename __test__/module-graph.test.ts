// The layers' modules depend on each other one way: no import cycle among the Rust modules of a
// crate (`crate::x` uses) or among src/lib/*.ts (their imports of code). A cycle makes a module impossible
// to read, test or move without the others (ARCHITECTURE.md).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import test from 'ava';

const root = path.resolve(__dirname, '..');

/** Every file under `dir` (relative paths) whose name ends with `ext`. */
function files(dir: string, ext: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(ext) && !f.endsWith('.d.ts'));
}

/** The strongly connected components of more than one module (Tarjan's algorithm). */
function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do component.push((w = stack.pop()!));
      while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A crate's top-level modules and the ones each uses through `crate::`. */
function rustGraph(src: string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  const top = (file: string) => file.split(path.sep)[0]!.replace(/\.rs$/, '');
  const modules = new Set(files(src, '.rs').map(top));
  for (const file of files(src, '.rs')) {
    const from = top(file);
    if (from === 'lib') continue;
    const uses = edges.get(from) ?? new Set<string>();
    for (const [, used] of readFileSync(path.join(root, src, file), 'utf8').matchAll(/crate::([a-z_0-9]+)/g)) {
      if (used !== from && modules.has(used!)) uses.add(used!);
    }
    edges.set(from, uses);
  }
  return edges;
}

for (const crate of ['core', 'napi']) {
  test(`crates/${crate}: no import cycle among its modules`, (tt) => {
    const graph = rustGraph(path.join('crates', crate, 'src'));
    tt.true(graph.size > 5, 'the modules were found');
    tt.deepEqual(cycles(graph), []);
  });
}

test('src/lib/: no import cycle among its modules', (tt) => {
  const graph = new Map<string, Set<string>>();
  for (const file of files(path.join('src', 'lib'), '.ts')) {
    const text = readFileSync(path.join(root, 'src', 'lib', file), 'utf8');
    // Type-only imports (`import type`) vanish from the output: a type may name a module that
    // uses this one (signature.ts's Signature in c-decl.ts), the code may not.
    const imported = [...text.matchAll(/^import (?!type )[^'"]*from '\.\/([a-z-]+)\.js';/gm)].map((m) => m[1]!);
    graph.set(file.replace(/\.ts$/, ''), new Set(imported));
  }
  tt.true(graph.size > 5, 'the modules were found');
  tt.deepEqual(cycles(graph), []);
});
