// The Node-API floor the benchmarks compare with (crates/bench-floor, bench/README.md): an addon
// of its own, loaded beside bare-fn's, so that the shipped addon carries no benchmark code.
// `npm run bench` builds it (scripts/ensure-built.js bench).
import path from 'node:path';

type Raw = unknown;

export interface Floor {
  benchFloorI32(func: Raw, n: number): number;
  benchFloorF64(func: Raw, n: number): number;
  benchFloorMixed6(func: Raw, p: number, n: number): number;
  benchFloorTsfn(func: Raw, n: number): void;
  benchFloorQsort(func: Raw, values: Int32Array): number;
  benchFloorRefPair(func: Raw): void;
  benchFloorLive(func: Raw): Raw;
  floorAbs(x: number): number;
  floorAbsAsync(x: number): Promise<number>;
  floorAtoi(s: string): number;
  floorFma(a: number, b: number, c: number): number;
  floorMemset(p: bigint, c: number, n: bigint): bigint;
}

const FILE: Partial<Record<NodeJS.Platform, string>> = { win32: 'bare_fn_bench_floor.dll', darwin: 'libbare_fn_bench_floor.dylib' };
const file = path.join(__dirname, '..', 'target', 'release', FILE[process.platform] ?? 'libbare_fn_bench_floor.so');
const module = { exports: {} as Floor };
process.dlopen(module, file);

export const floor: Floor = module.exports;
