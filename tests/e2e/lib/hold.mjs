// Helpers for the specs that drive held uploads on the fixture composers.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { ROOT, waitFor } from './common.mjs';

export const PHOTOS = join(ROOT, 'tests', 'fixtures', 'photos');
export const FACE = join(PHOTOS, 'astronaut.png'); // one large frontal face
export const NO_FACE = join(PHOTOS, 'coffee.png');
export const CAMERA = join(PHOTOS, 'camera.png'); // a man behind a camera, face in profile-ish view

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
export const fileSha = (path) => sha256(readFileSync(path));

// The guard frame (an extension page inside the page), once it exists.
export async function guardFrame(page, timeoutMs = 20000) {
  return waitFor(() => page.frames().find((f) => f.url().includes('/pages/guard.html')) ?? null,
    { timeoutMs, what: 'the guard frame' });
}

// Waits until the warning is on screen and takes a choice (body[data-accepting]: it has been
// plainly visible for a moment, AUTOMATION.md), and returns the frame that shows it.
export async function warningShown(page) {
  const frame = await guardFrame(page);
  await frame.waitForSelector('#dialog', { state: 'visible', timeout: 30000 });
  await frame.waitForSelector('body[data-accepting]', { state: 'attached', timeout: 10000 });
  return frame;
}

// Chooses files through the file chooser that `open` makes appear.
export async function chooseFiles(page, open, files) {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), open()]);
  await chooser.setFiles(files);
}

export async function uploadedStatus(page) {
  return page.evaluate(() => document.documentElement.dataset.uploadStatus ?? null);
}

// Asserts the server received exactly these files' bytes (in order).
export function assertUploaded(server, paths) {
  const got = server.uploads().map((u) => u.sha256);
  assert.deepEqual(got, paths.map(fileSha));
}

// Trusted drag and drop of files from disk onto (x, y), through the DevTools protocol.
export async function dropFiles(page, selector, files) {
  const box = await page.locator(selector).boundingBox();
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [], files, dragOperationsMask: 1 };
  await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', x, y, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', x, y, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'drop', x, y, data });
  await cdp.detach();
}

// Headless Chromium cannot show the native picker: a stand-in returns real handles from the
// origin-private file system. The extension opens the chooser from its content script's world
// (content/sensor.js), so the stand-in goes there, through the DevTools protocol, as the
// browser's own function is there; the page's world keeps its own `showOpenFilePicker`.
// Returns a new page of `context` at `url` whose picker returns `path`.
export async function pageWithFakePicker(context, url, path) {
  const page = await context.newPage();
  // Also in the page's world, before its scripts, as the browser's own function is there: what
  // the page calls when the extension does not take the call (and what versions before the
  // extension opened the chooser itself called).
  await page.addInitScript(`window.showOpenFilePicker = async function nativePickerStandIn() {${standInBody(path)}};`);
  await page.goto(url);
  await installPickerStandIn(page, path);
  return page;
}

const standInBody = (path) => `
      const dir = await navigator.storage.getDirectory();
      const handle = await dir.getFileHandle(${JSON.stringify(basename(path))}, { create: true });
      const w = await handle.createWritable();
      await w.write(Uint8Array.from(atob(${JSON.stringify(readFileSync(path).toString('base64'))}), (c) => c.charCodeAt(0)));
      await w.close();
      return [handle];`;

// Installs the stand-in picker in the extension's isolated world of the page's main frame.
export async function installPickerStandIn(page, path) {
  const cdp = await page.context().newCDPSession(page);
  const contexts = [];
  cdp.on('Runtime.executionContextCreated', ({ context: c }) => contexts.push(c));
  await cdp.send('Runtime.enable');
  const world = await waitFor(() => contexts.find((c) => c.auxData?.type === 'isolated'
    && c.auxData?.isDefault === false && !c.name.startsWith('__playwright') && c.name !== '') ?? null,
  { what: "the extension's content-script world" });
  const standIn = `window.showOpenFilePicker = async function nativePickerStandIn() {${standInBody(path)}};`;
  await cdp.send('Runtime.evaluate', { expression: standIn, contextId: world.id });
  await cdp.detach();
}

// Puts the image at `path` on the clipboard, then types in `selector` and pastes with Ctrl+V.
export async function pasteImage(context, page, path, selector = '#editor') {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: page.url() });
  await page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
  }, readFileSync(path).toString('base64'));
  await page.click(selector);
  await page.keyboard.type('Look at this ');
  await page.keyboard.press('Control+V');
}
