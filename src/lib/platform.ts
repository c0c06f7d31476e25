// The platform as napi-rs names its packages and addons (`linux-x64-gnu`, `win32-x64-msvc`,
// `darwin-arm64`, …): what the loader asks for, `npm run package` packs and the tests look for.

export function platformTriple(): string {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'linux') {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    return `${base}-${report?.header?.glibcVersionRuntime ? 'gnu' : 'musl'}`;
  }
  return process.platform === 'win32' ? `${base}-msvc` : base;
}
