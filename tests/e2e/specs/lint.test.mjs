// The store packages: `web-ext lint` (Mozilla's addons-linter) on the shipped Firefox build and
// on the Firefox zip itself, zero errors allowed, warnings printed (each is explained in
// BUILDING.md); the zips' contents are exactly the assembled builds, hold every file the
// manifest and the pages refer to, nothing that must not ship, and are the same bytes when
// packed again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

import { BROWSERS, assemble, pack, sha256 } from '../../../.ci/assemble.mjs';

const WEB_EXT = fileURLToPath(new URL('../node_modules/.bin/web-ext', import.meta.url));
const ADDONS_LINTER = fileURLToPath(new URL('../node_modules/.bin/addons-linter', import.meta.url));
// Warnings we know of and explain in BUILDING.md; any other one fails the spec.
const EXPLAINED_WARNINGS = ['KEY_FIREFOX_UNSUPPORTED_BY_MIN_VERSION', 'KEY_FIREFOX_ANDROID_UNSUPPORTED_BY_MIN_VERSION'];

let dirs; // browser -> assembled folder
let packages; // browser -> { path, size, sha256 }

before(() => {
  const assembled = assemble();
  dirs = Object.fromEntries(BROWSERS.map((b, i) => [b, assembled[i]]));
  packages = Object.fromEntries(pack(assembled).map((p) => [p.browser, p]));
});

// Reads a zip from its central directory (written here, independently of the packer).
// Returns [{ name, data, method, dosDate, dosTime, mode }] in archive order.
function readZip(path) {
  const zip = readFileSync(path);
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, `${path}: no end of central directory (or a comment)`);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `${path}: bad central directory entry ${i}`);
    const method = zip.readUInt16LE(at + 10);
    const dosTime = zip.readUInt16LE(at + 12);
    const dosDate = zip.readUInt16LE(at + 14);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `${path}: bad local header for ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + compressed);
    const data = method === 8 ? inflateRawSync(body) : Buffer.from(body);
    assert.ok(method === 0 || method === 8, `${name}: compression method ${method}`);
    assert.equal(data.length, size, `${name}: size`);
    entries.push({ name, data, method, dosDate, dosTime, mode, extraLength, commentLength });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function lintReport(run, what) {
  assert.equal(run.error, undefined, String(run.error));
  const start = run.stdout.indexOf('{');
  assert.ok(start !== -1, `${what} printed no JSON:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.slice(start));
}

function assertLintClean(report, what) {
  const show = (m) => `${m.code} ${m.file ?? ''}: ${m.message}`;
  for (const w of report.warnings) console.log(`${what} warning: ${show(w)}`);
  for (const n of report.notices) console.log(`${what} notice: ${show(n)}`);
  assert.deepEqual(report.errors.map(show), [], `${what} errors`);
  const unexplained = report.warnings.filter((w) => !EXPLAINED_WARNINGS.includes(w.code)).map(show);
  assert.deepEqual(unexplained, [], `${what}: warnings not explained in BUILDING.md`);
}

const lintEnv = { ...process.env, NO_UPDATE_NOTIFIER: '1' };

test('web-ext lint reports no errors on target/extension/firefox', () => {
  const run = spawnSync(WEB_EXT, [
    'lint', '--source-dir', dirs.firefox, '--output', 'json', '--no-config-discovery',
  ], { encoding: 'utf8', env: lintEnv, timeout: 120000 });
  assertLintClean(lintReport(run, 'web-ext lint'), 'web-ext lint');
});

test('addons-linter (what web-ext lint and addons.mozilla.org run) reports no errors on the Firefox zip', () => {
  // web-ext lint only takes a folder; the same linter, with web-ext's settings, reads the zip.
  const run = spawnSync(ADDONS_LINTER, [
    '--output', 'json', '--min-manifest-version', '2', '--max-manifest-version', '3',
    '--enable-data-collection-permissions', packages.firefox.path,
  ], { encoding: 'utf8', env: lintEnv, timeout: 120000 });
  const report = lintReport(run, 'addons-linter');
  assertLintClean(report, 'addons-linter (zip)');
  assert.equal(report.metadata.manifestVersion, 3);
});

test('packages are named by store and version, and their contents are exactly the assembled builds', () => {
  for (const browser of BROWSERS) {
    const { path } = packages[browser];
    const manifest = JSON.parse(readFileSync(join(dirs[browser], 'manifest.json'), 'utf8'));
    const store = { chromium: 'chrome', firefox: 'firefox' }[browser];
    assert.equal(posix.basename(path), `before-you-post-${manifest.version}-${store}.zip`);
    const entries = readZip(path);
    const names = entries.map((e) => e.name);
    assert.ok(names.includes('manifest.json'), `${path}: manifest.json is not at the root`);
    assert.deepEqual(names, [...names].sort(), `${path}: entries not sorted`);
    for (const e of entries) {
      assert.ok(!e.name.endsWith('/'), `${path}: directory entry ${e.name}`);
      assert.deepEqual([e.dosDate, e.dosTime], [(1 << 5) | 1, 0], `${e.name}: not the fixed date`);
      assert.equal(e.mode, 0o100644, `${e.name}: mode ${e.mode.toString(8)}`);
      assert.equal(e.extraLength + e.commentLength, 0, `${e.name}: extra field or comment`);
      assert.deepEqual(e.data, readFileSync(join(dirs[browser], e.name)), `${e.name} differs from the assembled file`);
    }
    const onDisk = readdirSync(dirs[browser], { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dirs[browser], join(e.parentPath ?? e.path, e.name)).split(sep).join('/'))
      .sort();
    assert.deepEqual(names, onDisk, `${path}: not the same files as ${dirs[browser]}`);
  }
});

// Every path the manifest names, then every relative src/href of the HTML pages and every
// static import of the scripts they reach.
function referencedFiles(manifest, read) {
  const refs = new Set();
  const add = (p) => p && refs.add(p.replace(/^\//, ''));
  Object.values(manifest.icons ?? {}).forEach(add);
  Object.values(manifest.action?.default_icon ?? {}).forEach(add);
  add(manifest.action?.default_popup);
  add(manifest.background?.service_worker);
  (manifest.background?.scripts ?? []).forEach(add);
  add(manifest.background?.page);
  add(manifest.options_page);
  add(manifest.options_ui?.page);
  add(manifest.devtools_page);
  add(manifest.side_panel?.default_path);
  add(manifest.sidebar_action?.default_panel);
  Object.values(manifest.chrome_url_overrides ?? {}).forEach(add);
  for (const cs of manifest.content_scripts ?? []) [...(cs.js ?? []), ...(cs.css ?? [])].forEach(add);
  for (const war of manifest.web_accessible_resources ?? []) war.resources.filter((r) => !r.includes('*')).forEach(add);
  if (manifest.default_locale) add(`_locales/${manifest.default_locale}/messages.json`);
  if (manifest.storage?.managed_schema) add(manifest.storage.managed_schema);
  const queue = [...refs];
  while (queue.length > 0) {
    const file = queue.shift();
    const text = read(file);
    if (text === null) continue;
    let found = [];
    if (file.endsWith('.html')) {
      found = [...text.matchAll(/\s(?:src|href)="([^"#?]+)/g)].map((m) => m[1]);
    } else if (file.endsWith('.js')) {
      found = [
        ...text.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]/gm),
        // A file found next to the script, e.g. wasm-bindgen's glue loading the .wasm.
        ...text.matchAll(/new URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g),
      ].map((m) => m[1] ?? m[2]);
    }
    for (const ref of found) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || ref.startsWith('//')) continue; // not a packaged file
      const resolved = ref.startsWith('/') ? ref.slice(1) : posix.normalize(posix.join(posix.dirname(file), ref));
      if (!refs.has(resolved)) {
        refs.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return [...refs].sort();
}

test('every file the manifest and the pages refer to is in the zip; nothing that must not ship is', () => {
  for (const browser of BROWSERS) {
    const entries = new Map(readZip(packages[browser].path).map((e) => [e.name, e.data]));
    const manifest = JSON.parse(entries.get('manifest.json'));
    const read = (name) => (entries.has(name) ? entries.get(name).toString('utf8') : null);
    const refs = referencedFiles(manifest, read);
    const missing = refs.filter((r) => !entries.has(r));
    assert.deepEqual(missing, [], `${browser} zip lacks files it refers to`);
    console.log(`# ${browser}: ${refs.length} referenced files, all packaged: ${refs.join(' ')}`);
    // Not vacuous: the pages' scripts and the engine are among them.
    for (const f of ['pages/guard.js', 'pages/i18n.js', 'wasm/before_you_post.js', 'wasm/before_you_post_bg.wasm', 'content/sensor.js']) {
      assert.ok(refs.includes(f), `${f} was not found as a reference`);
    }
    for (const name of entries.keys()) {
      assert.doesNotMatch(name, /(^|\/)\.|\.map$|\.d\.ts$|(^|\/)tests?\/|\.test\.|~$/, `${browser} zip ships ${name}`);
      if (/\.(js|css|html)$/.test(name)) {
        assert.doesNotMatch(read(name), /[#@] sourceMappingURL=/, `${name} points to a source map`);
      }
    }
    assert.equal(manifest.key, undefined, 'a test key in a store package');
    assert.ok(!JSON.stringify(manifest).includes('127.0.0.1'), 'the test host in a store package');
  }
});

test('the two packages differ only in the per-browser manifest keys', () => {
  const chrome = new Map(readZip(packages.chromium.path).map((e) => [e.name, e.data]));
  const firefox = new Map(readZip(packages.firefox.path).map((e) => [e.name, e.data]));
  assert.deepEqual([...chrome.keys()], [...firefox.keys()]);
  const differing = [...chrome.keys()].filter((n) => !chrome.get(n).equals(firefox.get(n)));
  assert.deepEqual(differing, ['manifest.json']);
  const c = JSON.parse(chrome.get('manifest.json'));
  const f = JSON.parse(firefox.get('manifest.json'));
  // Where they differ, key by key: Chromium runs a service worker, Firefox background scripts
  // and needs its add-on id and settings.
  assert.deepEqual(manifestDifferences(c, f), [
    'background.scripts: only in firefox',
    'background.service_worker: only in chromium',
    'browser_specific_settings: only in firefox',
  ]);
});

function manifestDifferences(a, b, prefix = '') {
  const out = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const path = prefix + key;
    if (!(key in b)) out.push(`${path}: only in chromium`);
    else if (!(key in a)) out.push(`${path}: only in firefox`);
    else if (isObject(a[key]) && isObject(b[key])) out.push(...manifestDifferences(a[key], b[key], `${path}.`));
    else if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) out.push(`${path}: differs`);
  }
  return out;
}
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

test('packing again gives the same bytes', () => {
  const first = Object.values(packages).map((p) => p.sha256);
  const again = pack().map((p) => sha256(readFileSync(p.path)));
  assert.deepEqual(again, first);
  for (const p of Object.values(packages)) console.log(`# ${posix.basename(p.path)}: ${p.size} bytes, sha256 ${p.sha256}`);
});
