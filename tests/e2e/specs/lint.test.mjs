// `web-ext lint` (Mozilla's addons-linter) on the shipped Firefox build: zero errors allowed,
// warnings printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { assemble } from '../../../.ci/assemble.mjs';

const WEB_EXT = fileURLToPath(new URL('../node_modules/.bin/web-ext', import.meta.url));

test('web-ext lint reports no errors on target/extension/firefox', () => {
  const [, firefoxDir] = assemble();
  const run = spawnSync(WEB_EXT, [
    'lint', '--source-dir', firefoxDir, '--output', 'json', '--no-config-discovery',
  ], {
    encoding: 'utf8',
    env: { ...process.env, NO_UPDATE_NOTIFIER: '1' },
    timeout: 120000,
  });
  assert.equal(run.error, undefined, String(run.error));
  const start = run.stdout.indexOf('{');
  assert.ok(start !== -1, `web-ext printed no JSON:\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start));
  const show = (m) => `${m.code} ${m.file ?? ''}: ${m.message}`;
  for (const w of report.warnings) console.log(`web-ext lint warning: ${show(w)}`);
  for (const n of report.notices) console.log(`web-ext lint notice: ${show(n)}`);
  assert.deepEqual(report.errors.map(show), [], `web-ext lint errors in ${join(firefoxDir)}`);
});
