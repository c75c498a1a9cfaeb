// One source for the grades: the explainer's table (EN and FR) states the thresholds the Rust
// grade uses (src/grade.rs), so the warning's words and the explainer agree.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from '../lib/common.mjs';

const grade = readFileSync(join(ROOT, 'src', 'grade.rs'), 'utf8');
const constant = (name) => Number(new RegExp(`pub const ${name}: f32 = ([\\d.]+);`).exec(grade)?.[1]);
const SMALL = constant('SMALL_EYE_DISTANCE');
const RECOGNISER = constant('RECOGNISER_EYE_DISTANCE');
const LARGE = constant('LARGE_EYE_DISTANCE');
const WIDTH_RATIO = Number(/const FRONTAL_EYE_TO_WIDTH: f32 = ([\d.]+);/.exec(grade)?.[1]);

test('the explainer\'s grade table states the Rust grade\'s thresholds, in English and French', () => {
  assert.deepEqual([SMALL, RECOGNISER, LARGE, WIDTH_RATIO], [15, 35, 70, 0.4], 'src/grade.rs changed: update the explainer and this test');
  for (const lang of ['en', 'fr']) {
    const html = readFileSync(join(ROOT, 'extension', 'pages', 'explainer', `${lang}.html`), 'utf8');
    const table = /<dl class="grades">([\s\S]*?)<\/dl>/.exec(html)[1];
    const rows = [...table.matchAll(/<dd>([\s\S]*?)<\/dd>/g)].map((m) => m[1].replace(/\s+/g, ' '));
    assert.equal(rows.length, 4, lang);
    const [veryHigh, high, medium, low] = rows;
    assert.match(veryHigh, new RegExp(`^${LARGE} pixels`), `${lang} very high: ${veryHigh}`);
    assert.match(high, new RegExp(`^${RECOGNISER} pixels`), `${lang} high: ${high}`);
    assert.match(medium, new RegExp(`^${SMALL} (to|à) ${RECOGNISER} pixels`), `${lang} medium: ${medium}`);
    assert.match(low, new RegExp(`${SMALL} pixels`), `${lang} low: ${low}`);
    // A face turned away is graded by its width, not said to be safe.
    const ratio = String(WIDTH_RATIO).replace('.', lang === 'fr' ? ',' : '.');
    assert.ok(medium.includes(ratio) && low.includes(ratio), `${lang}: the turned-face rule is missing`);
    assert.doesNotMatch(low, /eyes hidden|yeux cachés/, `${lang}: hidden eyes are not low risk by themselves`);
  }
});
