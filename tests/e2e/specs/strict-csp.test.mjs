// THE foundation check: on a page whose CSP forbids WebAssembly (`script-src 'self'`), a photo is
// still checked by the engine (it runs in the extension's guard frame, never in the page), and
// nothing is uploaded before the decision.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';

import { launchChromium } from '../lib/chromium.mjs';
import { testBuild, waitFor } from '../lib/common.mjs';
import { FACE, chooseFiles, fileSha, warningShown } from '../lib/hold.mjs';
import { STRICT_CSP, startServer } from '../server.mjs';

let server;
let build;
let browser;
const requests = [];

before(async () => {
  server = await startServer();
  build = testBuild('chromium');
  browser = await launchChromium(build.dir);
  browser.context.on('request', (req) => requests.push(req.url()));
});

after(async () => {
  await browser?.close();
  build?.remove();
  await server?.close();
});

test('on a strict-CSP page that cannot run WebAssembly, a photo is still checked by the engine', async () => {
  const page = await browser.context.newPage();
  try {
    const response = await page.goto(server.url('/csp/strict-csp.html'));
    assert.equal(response.headers()['content-security-policy'], STRICT_CSP);

    // The page's own attempt at WebAssembly is refused: the CSP is really in force.
    const pageWasm = await waitFor(() => page.getAttribute('html', 'data-page-wasm'), { what: 'page wasm check' });
    assert.match(pageWasm, /^blocked: CompileError$/);

    // The warning names the face the engine found: the engine ran, in the guard frame.
    await chooseFiles(page, () => page.click('#photo'), [FACE]);
    const frame = await warningShown(page);
    assert.match(await frame.textContent('#dialog'), /1 face/);
    await page.waitForTimeout(300);
    assert.deepEqual(server.uploads(), [], 'nothing may be uploaded before the decision');
    await frame.click('#anyway');
    await page.waitForSelector('html[data-upload-status="uploaded 1"]');
    assert.equal(server.uploads()[0].sha256, fileSha(FACE));
  } finally {
    await page.close();
    server.clearUploads();
  }
});

test('the page still works: its composer uploads a chosen file, recorded byte for byte', async () => {
  const page = await browser.context.newPage();
  try {
    await page.goto(server.url('/csp/strict-csp.html'));
    const bytes = Buffer.from('not really a photo, but bytes all the same');
    await page.setInputFiles('#photo', { name: 'holiday.jpg', mimeType: 'image/jpeg', buffer: bytes });
    await page.waitForSelector('html[data-upload-status="uploaded 1"]');
    const [upload] = server.uploads();
    assert.equal(server.uploads().length, 1);
    assert.equal(upload.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(upload.size, bytes.length);
    assert.equal(upload.filename, 'holiday.jpg');
    assert.equal(upload.contentType, 'image/jpeg');
  } finally {
    await page.close();
    server.clearUploads();
  }
});

test('extension made no request beyond the fixture server and its own files', () => {
  const foreign = requests.filter((url) => !url.startsWith(server.origin + '/') && !url.startsWith('chrome-extension://'));
  assert.deepEqual(foreign, []);
});
