// The hostile page in Firefox ESR (the Chromium twin is specs/hostile.test.mjs): the same spy
// (fixtures/spy.js) reads every input, event and dataset while a picked photo is held and after
// cancel, and learns nothing; a page that hooks built-ins (fixtures/hooks.js) sees nothing pass
// through them; inputs in about:blank, srcdoc and javascript: child frames are held; the
// wrapped built-ins read as native code; a forged carrier or forged events open no warning.
// Only the file-input path: WebDriver can pick files (a path typed into the input) but cannot
// drop or paste them, and Firefox has no showOpenFilePicker.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';

import { waitFor } from '../lib/common.mjs';
import { firefoxWithExtension, geckodriverSkip, intoWarning } from '../lib/firefox.mjs';
import { FACE } from '../lib/hold.mjs';

const skip = geckodriverSkip();
let env;
let server;
let firefox;

before(async () => {
  if (skip) return;
  env = await firefoxWithExtension();
  ({ server, firefox } = env);
});

after(() => env?.close());

afterEach(() => server?.clearUploads());

async function composerWithSpy() {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.execute("const s = document.createElement('script'); s.src = '/spy.js'; document.head.append(s);");
  await waitFor(async () => ((await firefox.execute('return window.__spy ? window.__spy.types : null')) > 50 ? true : null),
    { what: 'the spy' });
}

const learnt = () => firefox.execute('return window.__spy.seen');

test('firefox: a hostile page learns nothing of the held photo, before the decision or after cancel', { skip }, async () => {
  await composerWithSpy();
  await firefox.sendKeys(await firefox.find('#photo'), FACE);
  await intoWarning(firefox);
  await firefox.frame(null);
  await new Promise((ok) => setTimeout(ok, 300));
  assert.deepEqual(await learnt(), [], 'the page read the held photo before the decision');
  await firefox.frame(0);
  await firefox.click(await firefox.find('#cancel'));
  await firefox.frame(null);
  await waitFor(async () => ((await firefox.execute('return document.documentElement.dataset.released ?? null')) === '1' ? true : null),
    { what: 'the release' });
  await new Promise((ok) => setTimeout(ok, 1000));
  assert.deepEqual(await learnt(), [], 'the page read the photo after cancel');
  assert.deepEqual(server.uploads(), []);
});

test('firefox: a forged carrier and forged events open no warning', { skip }, async () => {
  await composerWithSpy();
  const b64 = (await import('node:fs')).readFileSync(FACE).toString('base64');
  const dataset = await firefox.execute(`
    const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
    const file = () => new File([bytes], 'page-made.png', { type: 'image/png' });
    const carrier = document.createElement('input');
    carrier.type = 'file';
    const dt = new DataTransfer();
    dt.items.add(file());
    carrier.files = dt.files;
    window.dispatchEvent(new MouseEvent('beforeyoupost:carrier', { relatedTarget: carrier }));
    const input = document.getElementById('photo');
    input.files = dt.files;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
    const drop = new DataTransfer();
    drop.items.add(file());
    document.body.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: drop }));
    return Object.assign({}, carrier.dataset);`, [b64]);
  assert.deepEqual(dataset, {});
  await new Promise((ok) => setTimeout(ok, 2000));
  assert.equal(await firefox.execute('return document.documentElement.dataset.held ?? null'), null, 'a forged event was held');
  // The page's own change handler uploaded its own file.
  await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the page\'s own upload' });
  assert.equal(server.uploads()[0].filename, 'page-made.png');
});

test('firefox: a page with hooked built-ins sees nothing of the held photo pass through them', { skip }, async () => {
  await firefox.goto(server.url('/composers/instant.html'));
  await firefox.execute("const s = document.createElement('script'); s.src = '/hooks.js'; document.head.append(s);");
  await waitFor(async () => ((await firefox.execute('return Boolean(window.__hooks && window.__hooks.hooked)')) ? true : null), { what: 'the hooks' });
  await firefox.sendKeys(await firefox.find('#photo'), FACE);
  await intoWarning(firefox);
  await firefox.frame(null);
  await new Promise((ok) => setTimeout(ok, 300));
  assert.deepEqual(await firefox.execute('return JSON.parse(JSON.stringify(window.__hooks.seen))'), [], 'the hooks saw the held photo');
  await firefox.frame(0);
  await firefox.click(await firefox.find('#cancel'));
  await firefox.frame(null);
  await waitFor(async () => ((await firefox.execute('return document.documentElement.dataset.released ?? null')) === '1' ? true : null),
    { what: 'the release' });
  assert.deepEqual(await firefox.execute('return JSON.parse(JSON.stringify(window.__hooks.seen))'), []);
  assert.deepEqual(server.uploads(), []);
});

for (const kind of ['blank', 'srcdoc', 'javascript']) {
  test(`firefox: an input inside a ${kind} child frame is held`, { skip }, async () => {
    await firefox.goto(server.url(`/composers/frames.html?kind=${kind}`));
    await waitFor(async () => ((await firefox.execute('return document.documentElement.dataset.frameReady ?? null')) === kind ? true : null),
      { what: 'the framed composer' });
    await firefox.frame(0);
    await firefox.sendKeys(await firefox.find('#photo'), FACE);
    // The warning opens in the child frame (its own guard frame, the child's first frame).
    await waitFor(async () => {
      try {
        await firefox.frame(null);
        await firefox.frame(0);
        await firefox.frame(0);
      } catch {
        return null;
      }
      return (await firefox.execute("return document.body.hasAttribute('data-accepting') && !document.getElementById('dialog').hidden")) ? true : null;
    }, { timeoutMs: 30000, what: 'the warning in the child frame' });
    assert.deepEqual(server.uploads(), []);
    await firefox.click(await firefox.find('#cancel'));
    await firefox.frame(null);
    await new Promise((ok) => setTimeout(ok, 1000));
    assert.deepEqual(server.uploads(), []);
  });
}

test("firefox: the extension's wrapped built-ins read as native code, as on a page without it", { skip }, async () => {
  // Read by the page's own script (WebDriver's execute runs in a sandbox of its own).
  const SOURCES = `const s = document.createElement('script');
    s.textContent = "const src = (f) => Function.prototype.toString.call(f);"
      + "document.documentElement.dataset.sources = JSON.stringify([src(HTMLElement.prototype.click),"
      + " src(HTMLInputElement.prototype.showPicker), src(EventTarget.prototype.dispatchEvent),"
      + " src(Function.prototype.toString), Function.prototype.toString.toString(),"
      + " HTMLElement.prototype.click.name, EventTarget.prototype.dispatchEvent.length]);";
    document.head.append(s);
    return document.documentElement.dataset.sources;`;
  await firefox.goto(server.url('/composers/instant.html'));
  const listed = await firefox.execute(SOURCES);
  await firefox.goto(`http://localhost:${server.port}/composers/instant.html`); // not a listed site
  const bare = await firefox.execute(SOURCES);
  assert.equal(listed, bare);
  assert.match(listed, /function click\(\)/);
});
