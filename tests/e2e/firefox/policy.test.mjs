// Managed policy in Firefox ESR: a native manifest of type "storage" under
// ~/.mozilla/managed-storage/<add-on id>.json reaches storage.managed. Here it presets the
// decision of an automated test profile: the photo is protected with no dialog, and the page
// still sees the held and released events. The add-on gets an id of its own; the file is
// removed afterwards. Skipped only when geckodriver is not installed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { waitFor } from '../lib/common.mjs';
import { findGeckodriver, geckodriverSkip, launchFirefox } from '../lib/firefox.mjs';
import { FACE, sha256 } from '../lib/hold.mjs';
import { ownIdBuild, setFirefoxManagedStorage } from '../lib/policy.mjs';
import { startServer } from '../server.mjs';

const skip = geckodriverSkip();
let server;
let build;
let removePolicy;
let firefox;

before(async () => {
  if (skip) return;
  server = await startServer();
  build = ownIdBuild('firefox');
  // Firefox reads managed storage when it starts: the file must be there first.
  removePolicy = setFirefoxManagedStorage(build.id, { automationDecision: 'protect', forceOn: true });
  firefox = await launchFirefox(findGeckodriver());
  await firefox.installAddon(build.dir);
});

after(async () => {
  await firefox?.close();
  removePolicy?.();
  build?.remove();
  await server?.close();
});

test('firefox: preset decision "protect" from managed storage: masked upload, no dialog, held and released events', { skip }, async () => {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.sendKeys(await firefox.find('#photo'), FACE);
  // Nobody clicks anything: the upload happens because the policy decided.
  await waitFor(async () => (
    (await firefox.execute('return document.documentElement.dataset.uploadStatus ?? null')) === 'uploaded 1' ? true : null
  ), { timeoutMs: 30000, what: 'the upload' });
  const [up] = server.uploads();
  assert.equal(up.filename, 'astronaut.png');
  assert.notEqual(up.sha256, sha256(readFileSync(FACE)), 'the original was posted: the policy was not applied');
  const events = await firefox.execute(
    'const d = document.documentElement.dataset; return { held: d.held ?? null, released: d.released ?? null }',
  );
  assert.deepEqual(events, { held: '1', released: '1' });
});
