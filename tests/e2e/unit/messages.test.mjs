// Unit tests of the words: no "(s)" anywhere, every count worded in the plural form its language
// needs (Intl.PluralRules: French says "0 visage" and "1 visage", English "0 faces"), and camera
// dates written as people write them (extension/pages/i18n.js).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from '../lib/common.mjs';
import { captureTime } from '../../../extension/pages/i18n.js';

const LANGS = ['en', 'fr'];
const messages = Object.fromEntries(LANGS.map((lang) => [lang,
  JSON.parse(readFileSync(join(ROOT, 'extension', '_locales', lang, 'messages.json'), 'utf8'))]));

test('no message says "(s)" or "(e)": counts are worded, not hedged', () => {
  for (const lang of LANGS) {
    for (const [key, { message }] of Object.entries(messages[lang])) {
      assert.doesNotMatch(message, /\((s|e|es)\)/, `${lang} ${key}: ${message}`);
    }
  }
});

test('every counted message has the plural forms its language needs, for 0, 1, 2 and 13', () => {
  const counted = Object.keys(messages.en).filter((k) => k.endsWith('_other')).map((k) => k.slice(0, -'_other'.length));
  assert.ok(counted.includes('guardSummary') && counted.includes('guardPreviewLabel'), counted.join(', '));
  const noun = {
    en: [/\b1 (face|photo|frame)\b/, /\b(0|2|13) (faces|photos|frames)\b/],
    fr: [/\b[01] (visage|photo|image)\b/, /\b(2|13) (visages|photos|images)\b/],
  };
  for (const lang of LANGS) {
    const rules = new Intl.PluralRules(lang);
    for (const key of counted) {
      for (const n of [0, 1, 2, 13]) {
        const entry = messages[lang][`${key}_${rules.select(n)}`];
        assert.ok(entry, `${lang}: no ${key}_${rules.select(n)} for ${n}`);
        const text = entry.message.replace(/\$COUNT\$/g, String(n)).replace(/\$N\$/g, '1');
        const singular = lang === 'en' ? n === 1 : n <= 1;
        assert.match(text, noun[lang][singular ? 0 : 1], `${lang} ${key} for ${n}: ${text}`);
      }
    }
  }
});

test('camera dates are written as people write them, in English and French', () => {
  assert.equal(captureTime('2024:06:21 18:42:05', 'en'), 'June 21, 2024 at 6:42 PM');
  assert.equal(captureTime('2024:06:21 18:42:05', 'fr'), '21 juin 2024 à 18:42');
  // A video's times: ISO 8601, "Z" said as UTC (an offset is the local time as written).
  assert.equal(captureTime('2024-05-01T12:34:56Z', 'en'), 'May 1, 2024 at 12:34 PM UTC');
  assert.equal(captureTime('2024-05-01T14:34:56+02:00', 'fr'), '1 mai 2024 à 14:34');
  // Not a date: shown as written.
  assert.equal(captureTime('2024:13:40 99:00:00', 'en'), '2024:13:40 99:00:00');
  assert.equal(captureTime('sometime', 'fr'), 'sometime');
});
