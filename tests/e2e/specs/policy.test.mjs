// School and company policy in a real Chromium: a managed policy file under
// /etc/chromium/policies/managed/ (3rdparty.extensions.<id>) reaches storage.managed and wins over
// the user's settings: sites forced on, faces forced masked (with a notice), settings locked, the
// demo opened on install, and the preset decisions of automated test profiles.
// The build gets an id of its own, so the policy touches no other Chromium on the machine; the
// file is removed afterwards. Fails (does not skip) when the policy cannot be applied.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';

import { launchChromium } from '../lib/chromium.mjs';
import { ROOT, waitFor } from '../lib/common.mjs';
import { FACE, chooseFiles, sha256, warningShown } from '../lib/hold.mjs';
import { noticeShown, ownIdBuild, setChromiumPolicy } from '../lib/policy.mjs';
import { startServer } from '../server.mjs';

const require = createRequire(import.meta.url);
const PLACE_GPS = join(ROOT, 'tests', 'fixtures', 'meta', 'tagged.jpg'); // no face, GPS

let server;
let build;

before(async () => {
  server = await startServer();
  build = ownIdBuild('chromium');
});

after(async () => {
  build?.remove();
  await server?.close();
});

// Chromium with `policy` set for the build's id; the policy is checked to have arrived.
async function launchWithPolicy(policy) {
  const removePolicy = setChromiumPolicy(build.id, policy);
  let browser;
  try {
    browser = await launchChromium(build.dir);
    assert.equal(browser.extensionId, build.id);
    const ext = await browser.context.newPage();
    await ext.goto(`chrome-extension://${build.id}/pages/popup.html`);
    const managed = await ext.evaluate(() => chrome.storage.managed.get());
    assert.deepEqual(managed, policy, 'Chromium did not apply the policy file');
    return {
      ...browser,
      ext,
      close: async () => {
        await browser.close();
        removePolicy();
      },
    };
  } catch (err) {
    await browser?.close();
    removePolicy();
    throw err;
  }
}

function composer(browser) {
  return async (files) => {
    const page = await browser.context.newPage();
    await page.goto(server.url('/composers/instant.html'));
    await chooseFiles(page, () => page.click('#photo'), files);
    return page;
  };
}

async function uploaded(page, n) {
  await page.waitForSelector(`html[data-upload-status="uploaded ${n}"]`, { timeout: 20000 });
  return server.uploads();
}

const events = (page) => page.evaluate(() => ({
  held: Number(document.documentElement.dataset.held ?? 0),
  released: Number(document.documentElement.dataset.released ?? 0),
}));

const dialogVisible = async (page) => {
  const frame = page.frames().find((f) => f.url().includes('/pages/guard.html'));
  return frame ? frame.isVisible('#dialog') : false;
};

describe('policy: force on, force masking, lock settings, open the demo', () => {
  const POLICY = { forceOn: true, forceMaskFaces: true, lockSettings: true, openDemoOnInstall: true, sensitivity: 'any_face' };
  let browser;
  let pick;

  before(async () => {
    browser = await launchWithPolicy(POLICY);
    pick = composer(browser);
    // Choices the user made before the policy: switched the site off, "don't ask again".
    await browser.ext.evaluate(() => chrome.storage.sync.set({
      offSites: { '127.0.0.1': true }, quietSites: { '127.0.0.1': true }, sensitivity: 'recognisable', defaultAction: 'ask',
    }));
  });

  after(() => browser?.close());

  afterEach(() => server.clearUploads());

  test('the demo opened when the extension was installed', async () => {
    const demo = await waitFor(() => browser.context.pages().find((p) => p.url().endsWith('/pages/demo.html')) ?? null,
      { what: 'the demo tab' });
    assert.equal(new URL(demo.url()).host, build.id);
  });

  test('options page is read-only and says the settings are locked; saving is refused; axe-core clean', async () => {
    const options = await browser.context.newPage();
    await options.goto(`chrome-extension://${build.id}/pages/options.html`);
    await options.waitForSelector('body[data-ready]');
    assert.equal(await options.textContent('#policy-note'), 'Your school or organisation has locked these settings.');
    const fieldsets = await options.$$eval('fieldset[data-setting]', (all) => all.map((f) => ({
      id: f.id, disabled: f.disabled, locked: f.hasAttribute('data-locked'), note: f.querySelector('.locked-note')?.textContent,
    })));
    assert.deepEqual(fieldsets.map((f) => f.id).sort(), ['checked-notice', 'default-action', 'language', 'quiet', 'sensitivity', 'sites']);
    for (const f of fieldsets) assert.deepEqual(f, { id: f.id, disabled: true, locked: true, note: 'Set by your school or organisation.' });
    // The policy's sensitivity is shown, not the user's; the sites are all on.
    assert.equal(await options.getByLabel('Any face, however small').isChecked(), true);
    assert.equal(await options.isChecked('input[data-site="127.0.0.1"]'), true);
    assert.equal(await options.getByLabel('Any face, however small').isDisabled(), true);
    assert.match(await options.textContent('#default-action .forced-note'), /Faces are always masked/);
    const refused = await options.evaluate(() => globalThis.beforeYouPostSettings.save({ defaultAction: 'strip' }));
    assert.deepEqual(refused, ['defaultAction']);
    assert.equal((await browser.ext.evaluate(() => chrome.storage.sync.get('defaultAction'))).defaultAction, 'ask');
    await options.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const axe = await options.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
    assert.deepEqual(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`), []);
    await options.close();
  });

  test('popup: the listed site is always checked, with no switch', async () => {
    const popup = await browser.context.newPage();
    await popup.goto(`chrome-extension://${build.id}/pages/popup.html?url=${encodeURIComponent(server.url('/'))}`);
    await popup.waitForSelector('#site[data-state="listed"]');
    assert.match(await popup.textContent('#site-status'), /always checked \(set by your school or organisation\)/);
    assert.equal(await popup.isVisible('#site-toggle'), false);
    await popup.close();
  });

  test('forced masking: held although the user had switched the site off, masked without a dialog, with a notice', async () => {
    const page = await pick([FACE]);
    await noticeShown(page, /^Before You Post: faces were masked before posting, as required by your school or organisation\.$/);
    const [up] = await uploaded(page, 1);
    assert.notEqual(up.sha256, sha256(readFileSync(FACE)));
    assert.equal(await dialogVisible(page), false);
    assert.deepEqual(await events(page), { held: 1, released: 1 });
    await page.close();
  });

  test('a photo masking does not cover still gets the warning: no "don\'t ask again", faces locked, and "post anyway" still masks', async () => {
    const page = await pick([FACE, PLACE_GPS]);
    const frame = await warningShown(page);
    assert.equal(await frame.isVisible('#quiet'), false, '"don\'t ask again" is offered');
    assert.equal(await frame.isChecked('input[data-face="0"]'), true);
    assert.equal(await frame.isDisabled('input[data-face="0"]'), true);
    assert.match(await frame.textContent('#photos'), /Required by your school or organisation\./);
    assert.equal(await frame.isDisabled('input[data-strip]'), false, 'removing the location is not forced');
    await frame.click('#anyway');
    const ups = await uploaded(page, 2);
    assert.notEqual(ups[0].sha256, sha256(readFileSync(FACE)), 'the face was posted unmasked');
    assert.equal(ups[1].sha256, sha256(readFileSync(PLACE_GPS)), 'the location photo was changed');
    await page.close();
  });
});

describe('policy: preset decisions for automated test profiles', () => {
  for (const [decision, expect] of [
    ['protect', { uploads: 1, masked: true, notice: /the photo was protected before posting/ }],
    ['anyway', { uploads: 1, masked: false, notice: /the photo was posted unchanged/ }],
    ['cancel', { uploads: 0, notice: /the photo was not posted/ }],
  ]) {
    test(`automationDecision "${decision}": no dialog, held and released events, the decided upload`, async () => {
      const browser = await launchWithPolicy({ automationDecision: decision });
      try {
        const page = await composer(browser)([FACE]);
        await noticeShown(page, expect.notice);
        await waitFor(async () => ((await events(page)).released === 1 ? true : null), { what: 'the released event' });
        assert.deepEqual(await events(page), { held: 1, released: 1 });
        if (expect.uploads > 0) {
          const [up] = await uploaded(page, 1);
          assert.equal(up.sha256 !== sha256(readFileSync(FACE)), expect.masked);
        } else {
          assert.equal(await page.evaluate(() => document.documentElement.dataset.uploadStatus ?? null), null);
          assert.deepEqual(server.uploads(), []);
        }
        assert.equal(await dialogVisible(page), false);
      } finally {
        await browser.close();
        server.clearUploads();
      }
    });
  }
});
