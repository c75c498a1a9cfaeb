// Unit tests of the one site table (extension/sites.json) and what the build makes from it: the
// manifest's content-script matches and host permissions (Chromium and Firefox) and the site
// adapters' data, read with the one match-pattern parser (extension/common/match-pattern.js).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';

import { BROWSERS, SOURCE, manifestFor, siteTable, sitesScript, withSites } from '../../../.ci/assemble.mjs';

const sites = siteTable();
const patterns = sites.flatMap((s) => s.matches);
const source = JSON.parse(readFileSync(join(SOURCE, 'manifest.json'), 'utf8'));

// Values from the scripts' own realm, as plain data of this one.
const plain = (v) => JSON.parse(JSON.stringify(v));

// Runs classic scripts as the content scripts do, in one global scope.
function classic(...code) {
  const context = { URL };
  context.globalThis = context;
  for (const c of code) vm.runInNewContext(c, context);
  return context;
}
const matchPattern = classic(readFileSync(join(SOURCE, 'common', 'match-pattern.js'), 'utf8')).beforeYouPostMatchPattern;

test('the manifest lists no site itself: every content script and host permission comes from the table', () => {
  assert.equal(source.host_permissions, undefined);
  for (const cs of source.content_scripts) assert.deepEqual(cs.matches, ['$sites']);
});

for (const browser of BROWSERS) {
  test(`${browser}: the manifest's matches and host permissions equal the table`, () => {
    const m = manifestFor(browser, withSites(source, sites));
    for (const cs of m.content_scripts) assert.deepEqual(cs.matches, patterns);
    assert.deepEqual(m.host_permissions, patterns);
  });
}

test('every adapter host is in the manifest, and the adapters find each site by its hosts', () => {
  const adapters = classic(
    readFileSync(join(SOURCE, 'common', 'match-pattern.js'), 'utf8'),
    sitesScript(sites),
    readFileSync(join(SOURCE, 'content', 'adapters.js'), 'utf8'),
  ).beforeYouPostAdapters;
  assert.deepEqual(plain(adapters.SITES.map((s) => s.name)), sites.map((s) => s.name));
  for (const site of adapters.SITES) {
    for (const pattern of site.matches) {
      assert.ok(patterns.includes(pattern), `${pattern} not in the manifest`);
      const host = matchPattern.domainOf(pattern);
      assert.equal(adapters.siteFor(host)?.name, site.name, host);
      if (pattern.includes('*.')) assert.equal(adapters.siteFor(`www.${host}`)?.name, site.name);
    }
  }
  assert.equal(adapters.siteFor('example.org'), null);
  assert.equal(adapters.siteFor('notfacebook.com'), null);
});

test('one match-pattern parser: schemes, subdomains, ports', () => {
  const { parse, matchesOrigin, domainOf, coversHost } = matchPattern;
  assert.deepEqual(plain(parse('https://*.facebook.com/*')), { schemes: ['https:'], host: 'facebook.com', subdomains: true });
  assert.deepEqual(plain(parse('*://x.com/*')), { schemes: ['http:', 'https:'], host: 'x.com', subdomains: false });
  assert.equal(parse('<all_urls>'), null);
  assert.equal(matchesOrigin('https://*.facebook.com/*', 'https://www.facebook.com'), true);
  assert.equal(matchesOrigin('https://*.facebook.com/*', 'https://facebook.com'), true);
  assert.equal(matchesOrigin('https://*.facebook.com/*', 'http://www.facebook.com'), false);
  assert.equal(matchesOrigin('https://x.com/*', 'https://mobile.x.com'), false);
  assert.equal(matchesOrigin('http://127.0.0.1/*', 'http://127.0.0.1:8080'), true);
  assert.equal(matchesOrigin('https://x.com/*', 'not a url'), false);
  assert.equal(coversHost('https://*.facebook.com/*', 'evilfacebook.com'), false);
  assert.equal(domainOf('https://*.threads.net/*'), 'threads.net');
});
