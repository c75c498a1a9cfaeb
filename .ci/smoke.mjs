// Loads the optimised module once and runs the detector on a synthetic image: a broken
// wasm-opt (Debian's) produces modules that only fail at load time.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [glue, wasmPath] = process.argv.slice(2);
const mod = await import(pathToFileURL(glue));
mod.initSync({ module: await readFile(wasmPath) });
const info = mod.engineInfo();
if (!/^[0-9a-f]{64}$/.test(info.model.sha256)) throw new Error('engine info without model checksum');
const rgba = new Uint8Array(64 * 48 * 4).fill(128);
const result = mod.analyzeRgba(rgba, 64, 48);
if (!Array.isArray(result.faces)) throw new Error('analyzeRgba returned no faces array');
let code = null;
try { mod.analyzeRgba(new Uint8Array(3), 1, 1); } catch (e) { code = e.code; }
if (code !== 'buffer_size_mismatch') throw new Error(`bad input gave ${JSON.stringify(code)}`);
console.log(`ok: ${info.crate_version}, model ${info.model.sha256.slice(0, 12)}…, simd128=${info.simd128}`);
