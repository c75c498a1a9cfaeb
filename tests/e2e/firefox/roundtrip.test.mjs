// The foundation check in Firefox ESR: on a page whose CSP forbids WebAssembly, a photo is still
// checked by the engine (it runs in the extension's guard frame), and nothing is uploaded before
// the decision.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { waitFor } from '../lib/common.mjs';
import { firefoxWithExtension, geckodriverSkip, intoWarning } from '../lib/firefox.mjs';
import { FACE, sha256 } from '../lib/hold.mjs';

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

test('firefox: on a strict-CSP page that cannot run WebAssembly, a photo is still checked by the engine', { skip }, async () => {
  await firefox.goto(server.url('/csp/strict-csp.html'));

  const pageWasm = await waitFor(
    () => firefox.execute('return document.documentElement.dataset.pageWasm ?? null'),
    { what: 'page wasm check' },
  );
  assert.match(pageWasm, /^blocked: CompileError$/);

  await firefox.sendKeys(await firefox.find('#photo'), FACE);
  await intoWarning(firefox);
  assert.match(await firefox.execute("return document.getElementById('dialog').textContent"), /1 face/);
  assert.deepEqual(server.uploads(), [], 'nothing may be uploaded before the decision');
  await firefox.click(await firefox.find('#anyway'));
  await firefox.frame(null);
  await waitFor(() => (server.uploads().length === 1 ? true : null), { what: 'the upload' });
  assert.equal(server.uploads()[0].sha256, sha256(readFileSync(FACE)));
});
