#!/usr/bin/env node
// Turns extension/ (one manifest source) into the loadable per-browser builds and the store
// packages:
//   node .ci/assemble.mjs                          -> target/extension/{chromium,firefox}/
//                                                     target/store/before-you-post-<version>-{chrome,firefox}.zip
//                                                     target/store/SHA256SUMS
//   node .ci/assemble.mjs --test-build DIR [--browser chromium|firefox]
//                                                  -> a TEST build in DIR (fixture host, fixed key)
// No dependencies: only node: modules.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE = join(ROOT, 'extension');
export const TARGET = join(ROOT, 'target', 'extension');
export const STORE = join(ROOT, 'target', 'store');
export const BROWSERS = ['chromium', 'firefox'];
// What each store calls the package: the Chrome Web Store zip also serves Edge and Opera.
const STORE_SUFFIX = { chromium: 'chrome', firefox: 'firefox' };

// Of wasm-pack's output only these ship (not package.json, .d.ts, README or .gitignore).
const WASM_FILES = ['before_you_post.js', 'before_you_post_bg.wasm'];
// Copied by .ci/build from the pinned npm package (wasm-pack.toml [vendor]), unmodified.
const VENDOR_FILES = ['mediabunny.mjs', 'mediabunny-LICENSE.txt'];

// Test-only additions. The key is the public half of a throwaway RSA key: it only fixes the
// unpacked test build's id (TEST_EXTENSION_ID), and it never ships.
export const TEST_HOST_MATCH = 'http://127.0.0.1/*';
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
  const missing = [...WASM_FILES.map((f) => `wasm/${f}`), ...VENDOR_FILES.map((f) => `vendor/${f}`)]
    .filter((f) => !existsSync(join(SOURCE, f)));
  if (missing.length > 0) {
    throw new AssembleError(
      `missing build output ${missing.map((f) => `extension/${f}`).join(', ')}: ` +
        'run `bash .ci/build` first (it builds the crate into extension/wasm/ and copies the demuxer into extension/vendor/).',
    );
  }
  const manifest = withSites(readJson(join(SOURCE, 'manifest.json')), siteTable());
  // Host access must stay limited to the sites the content scripts run on.
  const matches = new Set(manifest.content_scripts.flatMap((cs) => cs.matches));
  const extra = (manifest.host_permissions ?? []).filter((h) => !matches.has(h));
  if (extra.length > 0) {
    throw new AssembleError(`host_permissions not covered by content-script matches: ${extra.join(', ')}`);
  }
  return manifest;
}

// --- the one site table -------------------------------------------------------------------------
// extension/sites.json lists the social networks checked out of the box. The build makes from it
// the manifest's content-script matches (every entry whose matches are ["$sites"]) and host
// permissions, and content/sites.js, the same table for the site adapters.
export const SITES_MARKER = '$sites';

export function siteTable(path = join(SOURCE, 'sites.json')) {
  const { sites } = readJson(path);
  if (!Array.isArray(sites) || sites.length === 0) throw new AssembleError(`${path}: no sites`);
  for (const site of sites) {
    const ok = typeof site.name === 'string' && Array.isArray(site.matches) && site.matches.length > 0
      && site.matches.every((p) => /^https:\/\/(\*\.)?[a-z0-9.-]+\/\*$/.test(p))
      && ['audience', 'profile'].every((k) => Array.isArray(site[k]) && site[k].every((s) => typeof s === 'string'));
    if (!ok) throw new AssembleError(`${path}: bad entry ${JSON.stringify(site)}`);
  }
  return sites;
}

// The source manifest with the site table's patterns filled in.
export function withSites(source, sites) {
  const m = structuredClone(source);
  const patterns = sites.flatMap((s) => s.matches);
  for (const cs of m.content_scripts) {
    if (cs.matches.length === 1 && cs.matches[0] === SITES_MARKER) cs.matches = [...patterns];
  }
  // Host access exactly where the content scripts run, in the table's order.
  const ordered = {};
  for (const [key, value] of Object.entries(m)) {
    if (key === 'host_permissions') continue;
    ordered[key] = value;
    if (key === 'permissions') ordered.host_permissions = [...patterns];
  }
  return ordered;
}

// content/sites.js: the table as a classic script for the content scripts.
export function sitesScript(sites) {
  return '// Made by .ci/assemble.mjs from extension/sites.json: edit that file, not this one.\n'
    + `globalThis.beforeYouPostSites = Object.freeze(${JSON.stringify(sites.map(({ name, matches, audience, profile }) => ({ name, matches, audience, profile })))});\n`;
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

// Never in a package: hidden files, source maps, TypeScript declarations, editor leftovers,
// test code. `rel` uses forward slashes.
export function strayFile(rel) {
  const parts = rel.split('/');
  return parts.some((p) => p.startsWith('.')) || parts[0] === 'test' || parts.includes('tests')
    || /\.(map|d\.ts|orig|rej|swp|bak)$|~$|^(Thumbs\.db|desktop\.ini)$/i.test(parts.at(-1));
}

function shipsFile(src) {
  const rel = relative(SOURCE, src);
  if (rel === '') return true;
  const parts = rel.split(sep);
  if (parts[0] === 'wasm' && parts.length > 1) return WASM_FILES.includes(parts[1]);
  if (parts[0] === 'vendor' && parts.length > 1) return VENDOR_FILES.includes(parts[1]);
  if (rel === 'sites.json') return false; // shipped as content/sites.js
  return !strayFile(parts.join('/'));
}

// Writes one browser's build into outDir (emptied first) and returns its manifest.
export function buildVariant(browser, outDir) {
  const manifest = manifestFor(browser, checkSource());
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  for (const entry of readdirSync(SOURCE)) {
    cpSync(join(SOURCE, entry), join(outDir, entry), { recursive: true, filter: shipsFile });
  }
  writeFileSync(join(outDir, 'content', 'sites.js'), sitesScript(siteTable()));
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

// A TEST build in outDir: the shipped build of `browser` plus the fixture host (and, for
// Chromium, a fixed key). Built fresh from extension/, so it is never
// stale and never touches target/extension/.
export function makeTestBuild(browser, outDir) {
  const manifest = buildVariant(browser, outDir);
  for (const cs of manifest.content_scripts) cs.matches.push(TEST_HOST_MATCH);
  for (const war of manifest.web_accessible_resources ?? []) war.matches.push(TEST_HOST_MATCH);
  manifest.host_permissions = [...(manifest.host_permissions ?? []), TEST_HOST_MATCH];
  if (browser === 'chromium') manifest.key = TEST_KEY;
  writeJson(join(outDir, 'manifest.json'), manifest);
  return outDir;
}

// --- store packages ----------------------------------------------------------------------------
// Zips written byte for byte the same from the same files: entries sorted by path, one fixed
// date (1980-01-01 00:00, the earliest a zip can hold), fixed permissions (0644), no directory
// entries, extra fields or comments. Deflate (level 9) from Node's zlib, or stored when that
// would not be smaller; the same Node version gives the same bytes.
const ZIP_DOS_DATE = (0 << 9) | (1 << 5) | 1;
const ZIP_DOS_TIME = 0;
const ZIP_VERSION = 20; // 2.0: deflate
const ZIP_MADE_BY = (3 << 8) | ZIP_VERSION; // Unix, so the external attributes hold a mode
const ZIP_FILE_MODE = 0o100644;

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// files: [{ name, data }] with names using '/', relative to the zip root. Returns the zip.
export function zipFiles(files) {
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of sorted) {
    if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(name) || name.startsWith('/') || name.split('/').includes('..')) {
      throw new AssembleError(`cannot package file name ${JSON.stringify(name)}`);
    }
    const nameBytes = Buffer.from(name, 'ascii');
    const deflated = deflateRawSync(data, { level: 9 });
    const method = deflated.length < data.length ? 8 : 0;
    const body = method === 8 ? deflated : data;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(ZIP_VERSION, 4);
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(ZIP_DOS_TIME, 10);
    local.writeUInt16LE(ZIP_DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // extra field length
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(ZIP_MADE_BY, 4);
    central.writeUInt16LE(ZIP_VERSION, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(ZIP_DOS_TIME, 12);
    central.writeUInt16LE(ZIP_DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: all 0
    central.writeUInt32LE((ZIP_FILE_MODE << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, body);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  if (sorted.length > 0xffff || offset + directory.length > 0xffffffff) throw new AssembleError('package too large for a plain zip');
  return Buffer.concat([...locals, directory, end]);
}

// Every file under dir, as { name, data } with '/' names relative to dir.
function readTree(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath ?? e.path, e.name);
      return { name: relative(dir, path).split(sep).join(posix.sep), data: readFileSync(path) };
    });
}

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export function packageName(browser, version) {
  return `before-you-post-${version}-${STORE_SUFFIX[browser]}.zip`;
}

// Zips the assembled builds (target/extension/<browser>) into target/store/, with the manifest
// at the zip root, and writes target/store/SHA256SUMS (paths relative to the repository, for
// `sha256sum -c target/store/SHA256SUMS` from there). Returns [{ browser, path, size, sha256 }].
export function pack(dirs = BROWSERS.map((b) => join(TARGET, b))) {
  rmSync(STORE, { recursive: true, force: true });
  mkdirSync(STORE, { recursive: true });
  const packages = BROWSERS.map((browser, i) => {
    const files = readTree(dirs[i]);
    const stray = files.map((f) => f.name).filter(strayFile);
    if (stray.length > 0) throw new AssembleError(`${dirs[i]} holds files that must not ship: ${stray.join(', ')}`);
    const manifest = JSON.parse(files.find((f) => f.name === 'manifest.json')?.data ?? 'null');
    if (!manifest?.version) throw new AssembleError(`${dirs[i]} has no manifest.json with a version`);
    const zip = zipFiles(files);
    const path = join(STORE, packageName(browser, manifest.version));
    writeFileSync(path, zip);
    return { browser, path, size: zip.length, sha256: sha256(zip), files: files.length };
  });
  const sums = [
    ...WASM_FILES.map((f) => join(SOURCE, 'wasm', f)),
    ...packages.map((p) => p.path),
  ].map((path) => `${sha256(readFileSync(path))}  ${relative(ROOT, path).split(sep).join('/')}\n`);
  writeFileSync(join(STORE, 'SHA256SUMS'), sums.join(''));
  return packages;
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
  const dirs = assemble();
  for (const dir of dirs) console.log(`unpacked: ${relative(ROOT, dir)}`);
  for (const p of pack(dirs)) {
    console.log(`package:  ${relative(ROOT, p.path)}  ${p.size} bytes, ${p.files} files`);
  }
  console.log(`sha256 (also in ${relative(ROOT, join(STORE, 'SHA256SUMS'))}):`);
  for (const line of readFileSync(join(STORE, 'SHA256SUMS'), 'utf8').trimEnd().split('\n')) console.log(`  ${line}`);
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
