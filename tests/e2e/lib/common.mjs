// Helpers shared by the Chromium and Firefox specs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ROOT, makeTestBuild } from '../../../.ci/assemble.mjs';

export { ROOT };

// The [package] version in Cargo.toml: what engineInfo().crate_version must report.
export function crateVersion() {
  const toml = readFileSync(join(ROOT, 'Cargo.toml'), 'utf8');
  const pkg = /^\[package\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  const version = /^version\s*=\s*"([^"]+)"/m.exec(pkg)?.[1];
  assert.ok(version, 'no [package] version in Cargo.toml');
  return version;
}

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `byp-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// A fresh TEST build of the extension for `browser` in a temp folder.
export function testBuild(browser) {
  const tmp = tempDir(`${browser}-ext`);
  makeTestBuild(browser, tmp.dir);
  return tmp;
}

// Checks an engine-info answer from the background is the real wasm engine's.
export function assertEngineInfo(info) {
  assert.equal(typeof info, 'object', `engine-info answer is ${JSON.stringify(info)}`);
  assert.equal(info.error, undefined, `engine-info failed: ${JSON.stringify(info)}`);
  assert.equal(info.crate_version, crateVersion());
  assert.equal(typeof info.model?.name, 'string');
  assert.ok(info.model.name.length > 0, 'empty model name');
  assert.equal(typeof info.model.version, 'string');
  assert.match(info.model.sha256, /^[0-9a-f]{64}$/);
  assert.equal(typeof info.simd128, 'boolean');
  // The engine hashes its bundled model at run time: it must equal the recorded checksum.
  assert.equal(info.model.sha256, recordedModelSha256());
}

// MODEL_SHA256 as recorded in src/detect/weights.rs.
export function recordedModelSha256() {
  const src = readFileSync(join(ROOT, 'src/detect/weights.rs'), 'utf8');
  return src.match(/MODEL_SHA256: &str = "([0-9a-f]{64})"/)[1];
}

// Polls fn() until it returns something other than null/undefined, or fails after timeoutMs.
export async function waitFor(fn, { timeoutMs = 20000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last !== null && last !== undefined) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, intervalMs));
  }
}
