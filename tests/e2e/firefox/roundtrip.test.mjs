// The foundation check in Firefox ESR: on a strict-CSP page the probe content script gets the
// wasm engine's answer from the background script (Firefox MV3 has no service worker).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { assertEngineInfo, waitFor } from '../lib/common.mjs';
import { firefoxWithExtension, geckodriverSkip } from '../lib/firefox.mjs';

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

test('firefox: content script on a strict-CSP page gets the engine answer', { skip }, async () => {
  await firefox.goto(server.url('/csp/strict-csp.html'));

  const pageWasm = await waitFor(
    () => firefox.execute('return document.documentElement.dataset.pageWasm ?? null'),
    { what: 'page wasm check' },
  );
  assert.match(pageWasm, /^blocked: CompileError$/);

  const raw = await waitFor(
    () => firefox.execute('return document.documentElement.dataset.bypProbe ?? null'),
    { timeoutMs: 30000, what: 'the probe content script answer' },
  );
  assertEngineInfo(JSON.parse(raw));

  const unknown = await firefox.execute('return document.documentElement.dataset.bypProbeUnknown ?? null');
  assert.deepEqual(JSON.parse(unknown), { error: 'unknown_message' });

  assert.deepEqual(server.uploads(), [], 'nothing may be uploaded');
});
