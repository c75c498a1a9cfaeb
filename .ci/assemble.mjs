#!/usr/bin/env node
// Turns extension/ (one manifest source) into the loadable per-browser builds:
//   node .ci/assemble.mjs                          -> target/extension/{chromium,firefox}/
//   node .ci/assemble.mjs --test-build DIR [--browser chromium|firefox]
//                                                  -> a TEST build in DIR (fixture host + probe)
// No dependencies: only node: modules.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(ROOT, 'extension');
export const TARGET = join(ROOT, 'target', 'extension');
export const BROWSERS = ['chromium', 'firefox'];

// Of wasm-pack's output only these ship (not package.json, .d.ts, README or .gitignore).
const WASM_FILES = ['before_you_post.js', 'before_you_post_bg.wasm'];

// Test-only additions. The key is the public half of a throwaway RSA key: it only fixes the
// unpacked test build's id (TEST_EXTENSION_ID), and it never ships.
export const TEST_HOST_MATCH = 'http://127.0.0.1/*';
export const TEST_PROBE = join(ROOT, 'tests', 'e2e', 'probe', 'probe.js');
export const TEST_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA584WIyB3W1cIYP3Uhc4/WwIllonb2aXBMJrIdy/CzpvcBVVT' +
  'QXeiQROa2fEyTUqNW/h2bSSbX02ynJbPdxahxcr/AmoGZ9iC0D3WdYmCdxeUBnrJlS8OrLnMnJoeJKVp5JIZnXWiBVHy' +
  'RnFACHsFNai48AgY3N1p5byrN75m8ovL0uYUiawugPiSoX06TiNa+gZKc6kg/bklrXlldL3EDwbhQzud0GY6vB+O6MSA' +
  'mS54ihbbXzm5hFUdGyDqJ3bHZ8bvpweGTMiCqnV03iJCMXvq4lRJIZCITDrRX0OeLTxrVNN2BW7CzqaoC3XEQpwFDfXb' +
  '8GGkZVzftDIjtly59wIDAQAB';
// Chromium derives the id from the key: sha256 of the DER key, first 32 hex digits mapped to a-p.
export const TEST_EXTENSION_ID = 'lmglaindiklklihalgadncmnjollogjd';

export class AssembleError extends Error {}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function writeJson(path, value) {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

function checkSource() {
  const missing = WASM_FILES.filter((f) => !existsSync(join(SOURCE, 'wasm', f)));
  if (missing.length > 0) {
    throw new AssembleError(
      `missing build output ${missing.map((f) => `extension/wasm/${f}`).join(', ')}: ` +
        'run `bash .ci/build` first (it builds the crate into extension/wasm/).',
    );
  }
  const manifest = readJson(join(SOURCE, 'manifest.json'));
  // Host access must stay limited to the sites the content scripts run on.
  const matches = new Set(manifest.content_scripts.flatMap((cs) => cs.matches));
  const extra = (manifest.host_permissions ?? []).filter((h) => !matches.has(h));
  if (extra.length > 0) {
    throw new AssembleError(`host_permissions not covered by content-script matches: ${extra.join(', ')}`);
  }
  return manifest;
}

// The per-browser manifest, derived from the one source.
export function manifestFor(browser, source) {
  const m = structuredClone(source);
  if (browser === 'chromium') {
    delete m.background.scripts;
    delete m.browser_specific_settings;
  } else if (browser === 'firefox') {
    delete m.background.service_worker;
  } else {
    throw new AssembleError(`unknown browser ${browser} (expected ${BROWSERS.join(' or ')})`);
  }
  return m;
}

function shipsFile(src) {
  const rel = relative(SOURCE, src);
  if (rel === '') return true;
  const parts = rel.split(sep);
  if (parts.some((p) => p.startsWith('.'))) return false;
  if (parts[0] === 'wasm' && parts.length > 1) return WASM_FILES.includes(parts[1]);
  return true;
}

// Writes one browser's build into outDir (emptied first) and returns its manifest.
export function buildVariant(browser, outDir) {
  const manifest = manifestFor(browser, checkSource());
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(SOURCE)) {
    cpSync(join(SOURCE, entry), join(outDir, entry), { recursive: true, filter: shipsFile });
  }
  writeJson(join(outDir, 'manifest.json'), manifest);
  return manifest;
}

// Builds target/extension/{chromium,firefox}/ and returns their paths.
export function assemble() {
  return BROWSERS.map((browser) => {
    const dir = join(TARGET, browser);
    buildVariant(browser, dir);
    return dir;
  });
}

// A TEST build in outDir: the shipped build of `browser` plus the fixture host and the probe
// content script (and, for Chromium, a fixed key). Built fresh from extension/, so it is never
// stale and never touches target/extension/.
export function makeTestBuild(browser, outDir) {
  const manifest = buildVariant(browser, outDir);
  for (const cs of manifest.content_scripts) cs.matches.push(TEST_HOST_MATCH);
  for (const war of manifest.web_accessible_resources ?? []) war.matches.push(TEST_HOST_MATCH);
  manifest.host_permissions = [...(manifest.host_permissions ?? []), TEST_HOST_MATCH];
  mkdirSync(join(outDir, 'test'), { recursive: true });
  cpSync(TEST_PROBE, join(outDir, 'test', 'probe.js'));
  manifest.content_scripts.push({
    matches: [TEST_HOST_MATCH],
    js: ['test/probe.js'],
    run_at: 'document_end',
  });
  if (browser === 'chromium') manifest.key = TEST_KEY;
  writeJson(join(outDir, 'manifest.json'), manifest);
  return outDir;
}

function main(argv) {
  const i = argv.indexOf('--test-build');
  if (i !== -1) {
    const dir = argv[i + 1];
    if (!dir) throw new AssembleError('--test-build needs a folder');
    const b = argv.indexOf('--browser');
    const browser = b === -1 ? 'chromium' : argv[b + 1];
    console.log(makeTestBuild(browser, resolve(dir)));
    return;
  }
  for (const dir of assemble()) console.log(dir);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof AssembleError)) throw err;
    console.error(`assemble: ${err.message}`);
    process.exit(1);
  }
}
