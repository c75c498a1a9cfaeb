// A hostile page: while a photo is held, and after the user cancels, a page script that reads
// every file input (also the detached ones it created), listens for every event on window and
// document and reads every dataset learns no file name, size, type or byte (fixtures/spy.js).
// And a page that forges the extension's events, or change/drop/paste events, never opens the
// warning, never touches the counts, and reads nothing about the user's settings.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';

import { chromiumWithExtension } from '../lib/chromium.mjs';
import { waitFor } from '../lib/common.mjs';
import {
  FACE, chooseFiles, dropFiles, guardFrame, pageWithFakePicker, pasteImage, warningShown,
} from '../lib/hold.mjs';

let env;
let server;
let browser;
let page;

before(async () => {
  env = await chromiumWithExtension('hostile');
  ({ server, browser } = env);
});

after(() => env?.close());

afterEach(async () => {
  await page?.close();
  page = null;
  server.clearUploads();
});

async function spyOn(p) {
  await p.addScriptTag({ url: server.url('/spy.js') });
  assert.ok(await p.evaluate(() => window.__spy.types > 50), 'the spy listens for every event type');
}

const learnt = () => page.evaluate(() => window.__spy.seen);
const released = (n) => page.waitForFunction((k) => Number(document.documentElement.dataset.released ?? 0) >= k, n);

// Each upload path: the warning is up and the page has learnt nothing; the user cancels and the
// page still has learnt nothing, a second later.
const PATHS = {
  input: {
    url: '/composers/instant.html',
    act: () => chooseFiles(page, () => page.click('#photo'), [FACE]),
  },
  'detached input': {
    url: '/composers/detached.html',
    act: () => chooseFiles(page, () => page.click('#add'), [FACE]),
  },
  drop: {
    url: '/composers/drop.html',
    act: () => dropFiles(page, '#zone', [FACE]),
  },
  paste: {
    url: '/composers/paste.html',
    act: () => pasteImage(browser.context, page, FACE),
  },
  showOpenFilePicker: {
    url: '/composers/fsa.html',
    picker: true,
    act: () => page.click('#add'),
  },
};

for (const [name, path] of Object.entries(PATHS)) {
  test(`hostile page, ${name}: learns nothing of the held photo, before the decision or after cancel`, async () => {
    if (path.picker) page = await pageWithFakePicker(browser.context, server.url(path.url), FACE);
    else {
      page = await browser.context.newPage();
      await page.goto(server.url(path.url));
    }
    await spyOn(page);
    await path.act();
    const frame = await warningShown(page);
    await page.waitForTimeout(300);
    assert.deepEqual(await learnt(), [], 'the page read the held photo before the decision');
    await frame.click('#cancel');
    await released(1);
    await page.waitForTimeout(1000);
    assert.deepEqual(await learnt(), [], 'the page read the photo after cancel');
    assert.deepEqual(server.uploads(), []);
  });
}

test('hostile page, input: after "post anyway" the page gets the original file, name and date', async () => {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await spyOn(page);
  await chooseFiles(page, () => page.click('#photo'), [FACE]);
  const frame = await warningShown(page);
  assert.deepEqual(await learnt(), []);
  await frame.click('#anyway');
  await page.waitForSelector('html[data-upload-status="uploaded 1"]');
  const seen = await learnt();
  assert.ok(seen.some((s) => s.name === 'astronaut.png' && s.size === readFileSync(FACE).length), 'released to the page');
});

// --- forged events ------------------------------------------------------------------------------
const counts = async () => {
  const [worker] = browser.context.serviceWorkers();
  return (await worker.evaluate(() => chrome.storage.local.get('counts'))).counts ?? null;
};

// No warning on screen: the guard frame, when there is one, shows no dialog.
async function noWarning() {
  await page.waitForTimeout(2000);
  const frame = page.frames().find((f) => f.url().includes('/pages/guard.html'));
  if (frame) assert.equal(await frame.isVisible('#dialog'), false, 'a forged event opened the warning');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.held ?? null), null, 'a forged event was held');
}

// A file made by the page from the face photo's bytes.
const PAGE_FILE = `(() => {
  const bytes = Uint8Array.from(atob(window.__b64), (c) => c.charCodeAt(0));
  return new File([bytes], 'page-made.png', { type: 'image/png' });
})()`;

async function forgingPage(url) {
  page = await browser.context.newPage();
  await page.goto(server.url(url));
  await page.evaluate((b64) => { window.__b64 = b64; }, readFileSync(FACE).toString('base64'));
  // Warm the guard as a real click would, so a forged event would find it ready.
  await page.evaluate(() => document.querySelector('input[type=file]')?.dispatchEvent(new MouseEvent('click', { bubbles: true })));
}

test('forged carrier (the old showOpenFilePicker hand-over): no warning, counts unchanged, settings unread', async () => {
  await forgingPage('/composers/fsa.html');
  const before = await counts();
  const dataset = await page.evaluate(`(() => {
    const carrier = document.createElement('input');
    carrier.type = 'file';
    const dt = new DataTransfer();
    dt.items.add(${PAGE_FILE});
    carrier.files = dt.files;
    window.dispatchEvent(new MouseEvent('beforeyoupost:carrier', { relatedTarget: carrier }));
    window.dispatchEvent(new Event('beforeyoupost:hello'));
    return { ...carrier.dataset };
  })()`);
  assert.deepEqual(dataset, {}, 'the carrier told the page something');
  await noWarning();
  assert.deepEqual(await counts(), before);
});

test('forged input/change, drop and paste events with page-made files: no warning, counts unchanged', async () => {
  await forgingPage('/composers/instant.html');
  const before = await counts();
  await page.evaluate(`(() => {
    const input = document.getElementById('photo');
    const dt = new DataTransfer();
    dt.items.add(${PAGE_FILE});
    input.files = dt.files;
    input.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    const drop = new DataTransfer();
    drop.items.add(${PAGE_FILE});
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: drop }));
    const paste = new DataTransfer();
    paste.items.add(${PAGE_FILE});
    document.body.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: paste }));
  })()`);
  await noWarning();
  assert.deepEqual(await counts(), before);
  // The page's own change handler got its own file: the extension did not stand in the way.
  await page.waitForSelector('html[data-upload-status="uploaded 1"]');
  assert.equal(server.uploads()[0].filename, 'page-made.png');
});

test('the guard frame is reachable only through its closed shadow root', async () => {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await page.evaluate(() => document.getElementById('photo').dispatchEvent(new MouseEvent('click', { bubbles: true })));
  await guardFrame(page);
  const visible = await page.evaluate(() => [...document.documentElement.children]
    .filter((el) => !['HEAD', 'BODY'].includes(el.tagName))
    .map((el) => ({ shadow: el.shadowRoot, frames: el.querySelectorAll('iframe').length })));
  assert.ok(visible.length >= 1);
  for (const v of visible) assert.deepEqual(v, { shadow: null, frames: 0 });
});

// --- a page that hooks built-ins after the extension started ------------------------------------
// fixtures/hooks.js replaces Function.prototype.call/apply/bind, Reflect.apply, array iteration
// and methods, Promise.prototype.then, a `then` getter on Object.prototype, EventTarget methods,
// Object.defineProperty, input.files, DataTransfer, FileList, URL, FileReader and Blob methods,
// and notes every file, handle or hand-over node that passes through them.
async function hookedPage(path) {
  if (path.picker) page = await pageWithFakePicker(browser.context, server.url(path.url), FACE);
  else {
    page = await browser.context.newPage();
    await page.goto(server.url(path.url));
  }
  // The paste path's clipboard is filled before the hooks (the test's own writing is no leak).
  if (path.clipboard) {
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: page.url() });
    await page.evaluate(async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
    }, readFileSync(FACE).toString('base64'));
  }
  await page.addScriptTag({ url: server.url('/hooks.js') });
  assert.equal(await page.evaluate(() => window.__hooks?.hooked), true);
}
const hookedSaw = () => page.evaluate(() => JSON.parse(JSON.stringify(window.__hooks.seen)));

const HOOKED_PATHS = {
  ...PATHS,
  paste: {
    url: '/composers/paste.html',
    clipboard: true,
    act: async () => {
      await page.click('#editor');
      await page.keyboard.type('Look at this ');
      await page.keyboard.press('Control+V');
    },
  },
};
for (const [name, path] of Object.entries(HOOKED_PATHS)) {
  test(`page with hooked built-ins, ${name}: nothing of the held photo passes through its hooks before the decision`, async () => {
    await hookedPage(path);
    await path.act();
    const frame = await warningShown(page);
    await page.waitForTimeout(300);
    assert.deepEqual(await hookedSaw(), [], 'the hooks saw the held photo, a handle or the private link');
    await frame.click('#cancel');
    await released(1);
    await page.waitForTimeout(500);
    assert.deepEqual(await hookedSaw(), [], 'the hooks saw the photo after cancel');
    assert.deepEqual(server.uploads(), []);
  });
}

test('page with hooked built-ins, showOpenFilePicker then "attach protected copy": the page only ever gets the masked copy', async () => {
  await hookedPage(PATHS.showOpenFilePicker);
  await PATHS.showOpenFilePicker.act();
  const frame = await warningShown(page);
  assert.deepEqual(await hookedSaw(), []);
  await frame.click('#protect');
  await page.waitForSelector('html[data-upload-status="uploaded 1"]', { timeout: 30000 });
  const original = readFileSync(FACE);
  assert.notEqual(server.uploads()[0].sha256, createHash('sha256').update(original).digest('hex'), 'the original was posted');
  const seen = await hookedSaw();
  assert.ok(seen.length > 0, 'the page read its (protected) file through its handle');
  assert.ok(seen.every((s) => s.size !== original.length), `the page saw the original: ${JSON.stringify(seen)}`);
});

// --- every way a file chooser opens is held -----------------------------------------------------
const OPENERS = {
  'HTMLElement.prototype.click.call(input)': 'proto',
  'input.dispatchEvent(new MouseEvent("click"))': 'event',
  "another frame's HTMLElement.prototype.click": 'realm',
  "another frame's HTMLInputElement.prototype.showPicker": 'realm-picker',
};
for (const [how, open] of Object.entries(OPENERS)) {
  test(`detached input opened by ${how}: held, the warning shows, cancel posts nothing`, async () => {
    page = await browser.context.newPage();
    await page.goto(server.url(`/composers/detached.html?open=${open}`));
    await chooseFiles(page, () => page.click('#add'), [FACE]);
    const frame = await warningShown(page);
    assert.deepEqual(server.uploads(), []);
    await frame.click('#cancel');
    await released(1);
    await page.waitForTimeout(500);
    assert.deepEqual(server.uploads(), []);
  });
}

for (const kind of ['blank', 'srcdoc', 'javascript']) {
  const framed = () => page.frameLocator('#composer');
  const openFramed = async () => {
    page = await browser.context.newPage();
    await page.goto(server.url(`/composers/frames.html?kind=${kind}`));
    await page.waitForSelector(`html[data-frame-ready="${kind}"]`);
  };
  test(`input inside a ${kind} child frame: held, then "attach original" posts the original`, async () => {
    await openFramed();
    await chooseFiles(page, () => framed().locator('#photo').click(), [FACE]);
    const frame = await warningShown(page);
    assert.deepEqual(server.uploads(), []);
    await frame.click('#anyway');
    await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the upload' });
    assert.equal(server.uploads()[0].sha256, createHash('sha256').update(readFileSync(FACE)).digest('hex'));
  });
  test(`drop into a ${kind} child frame: held, cancel posts nothing`, async () => {
    await openFramed();
    const box = await framed().locator('#zone').boundingBox();
    const cdp = await page.context().newCDPSession(page);
    const data = { items: [], files: [FACE], dragOperationsMask: 1 };
    const at = { x: box.x + box.width / 2, y: box.y + box.height / 2, data };
    for (const type of ['dragEnter', 'dragOver', 'drop']) await cdp.send('Input.dispatchDragEvent', { type, ...at });
    await cdp.detach();
    const frame = await warningShown(page);
    await frame.click('#cancel');
    await frameReleased();
    assert.deepEqual(server.uploads(), []);
  });
}

// The child frame's document, not the top one, hears the extension's held/released events.
async function frameReleased() {
  const child = page.frames().find((f) => f.parentFrame() === page.mainFrame() && !f.url().includes('/pages/guard.html'));
  await waitFor(async () => ((await child.evaluate(() => window.__released ?? 0)) >= 1 ? true : null), { what: 'the release in the frame' });
  await page.waitForTimeout(500);
}

test('paste into an about:blank child frame editor: held, cancel posts nothing', async () => {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/frames.html?kind=blank'));
  await page.waitForSelector('html[data-frame-ready="blank"]');
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: page.url() });
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
  }, readFileSync(FACE).toString('base64'));
  await page.frameLocator('#composer').locator('#editor').click();
  await page.keyboard.press('Control+V');
  const frame = await warningShown(page);
  await frame.click('#cancel');
  await frameReleased();
  assert.deepEqual(server.uploads(), []);
});

// --- the wrappers look native -----------------------------------------------------------------
test("the extension's wrapped built-ins read as native code, as on a page without it", async () => {
  const SOURCES = `(() => {
    const src = (f) => Function.prototype.toString.call(f);
    return {
      click: src(HTMLElement.prototype.click), showPicker: src(HTMLInputElement.prototype.showPicker),
      dispatchEvent: src(EventTarget.prototype.dispatchEvent), picker: src(window.showOpenFilePicker),
      toString: src(Function.prototype.toString), toStringOfToString: Function.prototype.toString.toString(),
      names: [HTMLElement.prototype.click.name, EventTarget.prototype.dispatchEvent.length, window.showOpenFilePicker.name],
      own: Object.getOwnPropertyNames(HTMLInputElement.prototype).includes('click'),
    };
  })()`;
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  const listed = await page.evaluate(SOURCES);
  await page.goto(`http://localhost:${server.port}/composers/instant.html`); // not a listed site
  const bare = await page.evaluate(SOURCES);
  assert.deepEqual(listed, bare);
  assert.match(listed.click, /\[native code\]/);
});

// --- a sensor injected after the page's scripts ---------------------------------------------------
// After an update, or when a site is enabled from the toolbar, the background injects the sensor
// into a page whose scripts already ran, marked as late (background.js injectSensorLate: the
// flag, then the files). Such a sensor must take no private link: the page could offer its own
// and forge carriers through it. Simulated from the service worker exactly as the background
// does it, with the running sensor made to look orphaned (as after an update).
test('a sensor injected after the page started takes no link the page offers', async () => {
  page = await browser.context.newPage();
  await page.goto(server.url('/composers/instant.html'));
  await page.evaluate(() => {
    window.__link = document.createElement('span');
    window.__linked = 0;
    window.__link.addEventListener('beforeyoupost:linked', () => { window.__linked += 1; });
    // The page offers its own link whenever a sensor says hello (as main-world.js does).
    window.addEventListener('beforeyoupost:hello', () => {
      window.dispatchEvent(new MouseEvent('beforeyoupost:link', { relatedTarget: window.__link }));
    }, true);
  });
  const [worker] = browser.context.serviceWorkers();
  const injected = await worker.evaluate(async (url) => {
    const [tab] = await chrome.tabs.query({ url });
    const target = { tabId: tab.id };
    const files = chrome.runtime.getManifest().content_scripts.find((cs) => cs.js.includes('content/sensor.js')).js;
    await chrome.scripting.executeScript({
      target,
      func: () => {
        globalThis.beforeYouPostLateInjection = true; // what injectSensorLate sets first
        globalThis.beforeYouPostSensor = { orphaned: () => true }; // the running one, as after an update
      },
    });
    await chrome.scripting.executeScript({ target, files });
    return (await chrome.scripting.executeScript({ target, func: () => typeof globalThis.beforeYouPostSensor.watch }))[0].result;
  }, page.url());
  assert.equal(injected, 'function', 'the late sensor started');
  // It said hello; the page answered with its link. Also offered again, directly.
  await page.evaluate(() => window.dispatchEvent(new MouseEvent('beforeyoupost:link', { relatedTarget: window.__link })));
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => window.__linked), 0, 'the late sensor took the page\'s link');
});
