// The shipped builds: per-browser manifests derived from the one source, no test hosts or probe,
// complete locales, nothing loaded from the network.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { before, test } from 'node:test';

import { SOURCE, TEST_HOST_MATCH, assemble } from '../../../.ci/assemble.mjs';

const readJson = (p) => JSON.parse(readFileSync(p, 'utf8'));

function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

let chromiumDir;
let firefoxDir;

before(() => {
  [chromiumDir, firefoxDir] = assemble();
});

test('chromium manifest: service worker only, no gecko settings', () => {
  const m = readJson(join(chromiumDir, 'manifest.json'));
  assert.equal(m.manifest_version, 3);
  assert.equal(m.background.service_worker, 'background/background.js');
  assert.equal(m.background.type, 'module');
  assert.equal(m.background.scripts, undefined);
  assert.equal(m.browser_specific_settings, undefined);
});

test('firefox manifest: background scripts only, with a gecko id', () => {
  const m = readJson(join(firefoxDir, 'manifest.json'));
  assert.deepEqual(m.background, { scripts: ['background/background.js'], type: 'module' });
  assert.match(m.browser_specific_settings.gecko.id, /@/);
  assert.equal(m.browser_specific_settings.gecko.strict_min_version, '128.0');
});

test('shipped builds hold no test host, probe or key, and only the permissions PERMISSIONS.md justifies', () => {
  for (const dir of [chromiumDir, firefoxDir]) {
    const m = readJson(join(dir, 'manifest.json'));
    const text = JSON.stringify(m);
    assert.ok(!text.includes('127.0.0.1') && !text.includes(TEST_HOST_MATCH), dir);
    assert.equal(m.key, undefined);
    assert.ok(!existsSync(join(dir, 'test')), `${dir}/test must not ship`);
    assert.deepEqual(m.permissions, ['storage', 'scripting', 'activeTab']);
    assert.deepEqual(m.optional_host_permissions, ['https://*/*', 'http://*/*']);
    assert.ok(!text.includes('<all_urls>'));
    // Only the guard page may be framed by sites; its handshake needs a nonce from the background.
    assert.deepEqual(m.web_accessible_resources.map((w) => w.resources), [['pages/guard.html']]);
    const sites = new Set(m.content_scripts.flatMap((cs) => cs.matches));
    assert.deepEqual([...sites].sort(), [...m.host_permissions].sort(), 'content scripts run only where host access is granted');
    assert.equal(m.content_security_policy.extension_pages, "script-src 'self' 'wasm-unsafe-eval'; object-src 'self'");
    for (const f of ['wasm/before_you_post.js', 'wasm/before_you_post_bg.wasm', 'background/background.js',
      'content/sensor.js', 'pages/popup.html']) {
      assert.ok(existsSync(join(dir, f)), `${dir} lacks ${f}`);
    }
    const wasmFiles = readdirSync(join(dir, 'wasm')).sort();
    assert.deepEqual(wasmFiles, ['before_you_post.js', 'before_you_post_bg.wasm']);
  }
});

test('every locale has every message, and every __MSG_ and data-i18n key exists', () => {
  const locales = readdirSync(join(SOURCE, '_locales'));
  assert.deepEqual(locales.sort(), ['en', 'fr']);
  const en = readJson(join(SOURCE, '_locales', 'en', 'messages.json'));
  for (const locale of locales) {
    const messages = readJson(join(SOURCE, '_locales', locale, 'messages.json'));
    assert.deepEqual(Object.keys(messages).sort(), Object.keys(en).sort(), `${locale} keys`);
    for (const [key, { message, placeholders }] of Object.entries(messages)) {
      assert.ok(message.trim().length > 0, `${locale}.${key} is empty`);
      for (const name of Object.keys(placeholders ?? {})) {
        assert.ok(message.includes(`$${name.toUpperCase()}$`), `${locale}.${key} lacks $${name}$`);
      }
    }
    assert.ok(messages.extDescription.message.length <= 132, `${locale}.extDescription is too long`);
  }
  const used = new Set();
  for (const file of filesUnder(SOURCE).filter((f) => ['.json', '.html', '.js'].includes(extname(f)))) {
    if (file.includes('_locales') || relative(SOURCE, file).startsWith('wasm')) continue;
    const text = readFileSync(file, 'utf8');
    for (const [, key] of text.matchAll(/__MSG_(\w+)__/g)) used.add(key);
    for (const [, key] of text.matchAll(/data-i18n="(\w+)"/g)) used.add(key);
    for (const [, key] of text.matchAll(/\bt\('(\w+)'/g)) used.add(key);
  }
  for (const key of used) assert.ok(key in en, `message ${key} is used but not defined`);
});

test('extension files load nothing from the network', () => {
  for (const file of filesUnder(SOURCE)) {
    const rel = relative(SOURCE, file);
    if (!['.html', '.js', '.mjs', '.css', '.json'].includes(extname(file)) || rel.startsWith('_locales')) continue;
    let text = readFileSync(file, 'utf8');
    // Source links the reader may click (never loaded by the page): <a href> with rel=noopener.
    if (extname(file) === '.html') {
      text = text.replace(/<a\b[^>]*>/gi, (tag) => {
        if (!/\bhref="https:\/\//i.test(tag)) return tag;
        assert.match(tag, /\brel="noopener noreferrer"/, `${rel}: ${tag}`);
        return '<a>';
      });
    }
    // An XML namespace is a name, never fetched.
    text = text.replaceAll('http://www.w3.org/2000/svg', '').replaceAll('http://www.w3.org/1999/xhtml', '');
    // wasm-bindgen's glue names a URL only in comments and error text; check everything else.
    const urls = [...text.matchAll(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"`)]*/gi)].map((m) => m[0]);
    // The manifest and the site table it is made from hold match patterns, not addresses to load.
    // The video demuxer (vendor/, the npm package's bundle, unmodified) names its licence and
    // codec specifications in comments and error text, and has a URL source the extension never
    // uses; the privacy specs record what is requested at run time.
    const allowed = rel === 'manifest.json' || rel === 'sites.json' || rel.startsWith('wasm/') || rel.startsWith('vendor/');
    assert.ok(allowed || urls.length === 0, `${rel} refers to ${urls.join(', ')}`);
  }
});
