// The run command's main job: the classroom demo, served on 127.0.0.1 exactly as .ci/demo
// serves it, and as an extension page, finds the faces of the bundled samples offline.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT } from '../../../.ci/assemble.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { testBuild } from '../lib/common.mjs';

let build;
let browser;
let serve;
let demoUrl;
const offDevice = [];

before(async () => {
  build = testBuild('chromium');
  serve = spawn(process.execPath, [join(ROOT, '.ci/serve.mjs'), build.dir, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(serve.stdout, 'data');
  demoUrl = String(line).match(/http:\/\/127\.0\.0\.1:\d+\/pages\/demo\.html/)[0];
  browser = await launchChromium(build.dir);
  browser.context.on('request', (req) => {
    const url = new URL(req.url());
    if (url.hostname !== '127.0.0.1' && url.protocol !== 'chrome-extension:') offDevice.push(req.url());
  });
});

after(async () => {
  await browser?.close();
  serve?.kill();
  build?.remove();
});

async function analyseSample(page, sample) {
  await page.evaluate(() => { delete document.getElementById('result').dataset.faces; });
  await page.click(`[data-sample="${sample}"]`);
  await page.waitForSelector('#result[data-faces]', { timeout: 30000 });
  return {
    faces: Number(await page.getAttribute('#result', 'data-faces')),
    verdict: await page.textContent('#verdict'),
    items: await page.$$eval('#faces li', (lis) => lis.map((li) => li.textContent)),
  };
}

test('served demo finds the astronaut, warns, and passes the cup of coffee', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(demoUrl);
  const astronaut = await analyseSample(page, 'astronaut.png');
  assert.equal(astronaut.faces, 1);
  assert.match(astronaut.verdict, /would warn/);
  assert.match(astronaut.items[0], /high risk/);
  const coffee = await analyseSample(page, 'coffee.png');
  assert.equal(coffee.faces, 0);
  assert.match(coffee.verdict, /without a warning/);
  await page.screenshot({ path: join(ROOT, 'tests/e2e/artifacts/demo-en.png') });
  assert.deepEqual(errors, []);
  await page.close();
});

test('served demo speaks French with ?lang=fr', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${demoUrl}?lang=fr`);
  assert.equal(await page.textContent('h1'), 'Ce que voit un aspirateur de visages');
  const camera = await analyseSample(page, 'camera.png');
  assert.equal(camera.faces, 1);
  assert.match(camera.verdict, /avertissement avant la publication/);
  assert.match(camera.items[0], /risque/);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  await page.close();
});

test('the same demo runs as an extension page', async () => {
  const page = await browser.context.newPage();
  await page.goto(`chrome-extension://${browser.extensionId}/pages/demo.html`);
  const astronaut = await analyseSample(page, 'astronaut.png');
  assert.equal(astronaut.faces, 1);
  assert.deepEqual(offDevice, [], 'the demo made requests off this machine');
  await page.close();
});
