// Unit tests of the guard's policy rules (extension/pages/policy-rules.js): pure functions of
// check results and effective settings, run in Node without a browser.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { ROOT } from '../lib/common.mjs';

const rules = await import(pathToFileURL(join(ROOT, 'extension', 'pages', 'policy-rules.js')).href);
const { canMask, covers, firstStep, mayPostOriginal, needsFix, ticks, ticksAfterChoice } = rules;

// Check results as the worker returns them (the verdict as the engine makes it). `weak` faces
// are listed but neither count nor are ticked.
const face = (grade = 'high') => ({ bbox: [10, 10, 50, 50], grade, score: 0.95 });
const photo = ({ faces = 1, weak = 0, location = false, canMaskMeta = true, canStrip = true, checked = true } = {}) => ({
  type: 'image/jpeg',
  meta: { has_location: location, can_mask: canMaskMeta, can_strip_location: canStrip },
  analysis: {
    faces: Array.from({ length: faces + weak }, () => face()),
    faces_checked: checked,
    verdict: {
      warn: true,
      reasons: [...(faces ? ['recognisable_face'] : []), ...(location ? ['location'] : [])],
      counted_faces: faces,
      faces: Array.from({ length: faces + weak }, (_, i) => ({ counts: i < faces, ticked: i < faces })),
      warns_for_faces: faces > 0,
      warns_for_location: location,
    },
  },
});
const settings = ({ defaultAction = 'ask', forceMaskFaces = false, forceRemoveLocation = false, automationDecision = null } = {}) => ({
  defaultAction, policy: { forceMaskFaces, forceRemoveLocation, automationDecision },
});
const plain = (t) => t.map(({ selected, strip }) => ({ selected: [...selected], strip }));

test('masking needs the engine to say the file can be masked, and checked pixels', () => {
  assert.equal(canMask(photo()), true);
  assert.equal(canMask(photo({ canMaskMeta: false })), false);
  assert.equal(canMask(photo({ checked: false })), false);
  assert.equal(canMask({ ...photo(), meta: null }), false);
});

test('only the faces the verdict ticks are ticked', () => {
  const step = firstStep([photo({ faces: 1, weak: 2 })], settings());
  assert.deepEqual(plain(step.ticks), [{ selected: [0], strip: false }]);
});

test('asking: every face and the location ticked', () => {
  const warned = [photo({ faces: 2, location: true })];
  const step = firstStep(warned, settings());
  assert.equal(step.mode, 'ask');
  assert.deepEqual(plain(step.ticks), [{ selected: [0, 1], strip: true }]);
});

test('"always mask faces" fixes a faces-only photo without asking, with its notice', () => {
  const step = firstStep([photo()], settings({ defaultAction: 'mask' }));
  assert.deepEqual({ mode: step.mode, choice: step.choice, notices: step.notices }, { mode: 'auto', choice: 'protect', notices: ['noticeAutoMasked'] });
  assert.deepEqual(plain(step.ticks), [{ selected: [0], strip: false }]);
});

test('"always mask faces" does not cover a location-only photo: the warning opens', () => {
  assert.equal(firstStep([photo({ faces: 0, location: true })], settings({ defaultAction: 'mask' })).mode, 'ask');
  // Masking also removes the location (the copy carries no metadata).
  assert.equal(covers(photo({ location: true }), { mask: true, strip: false }), true);
});

test('"always remove the location" covers location-only photos, with the policy notice when forced', () => {
  const step = firstStep([photo({ faces: 0, location: true })], settings({ forceRemoveLocation: true }));
  assert.deepEqual({ mode: step.mode, notices: step.notices }, { mode: 'auto', notices: ['noticePolicyStripped'] });
  assert.deepEqual(plain(step.ticks), [{ selected: [], strip: true }]);
});

test('a face that cannot be masked (HEIC) is not covered by "always mask": the warning opens', () => {
  assert.equal(firstStep([photo({ canMaskMeta: false })], settings({ forceMaskFaces: true })).mode, 'ask');
});

test('preset decisions: protect ticks everything, anyway only what the policy forces, cancel nothing', () => {
  const warned = [photo({ location: true })];
  const protect = firstStep(warned, settings({ automationDecision: 'protect' }));
  assert.deepEqual({ mode: protect.mode, choice: protect.choice, notices: protect.notices }, { mode: 'preset', choice: 'protect', notices: ['noticePreset_protect'] });
  assert.deepEqual(plain(protect.ticks), [{ selected: [0], strip: true }]);
  assert.deepEqual(plain(firstStep(warned, settings({ automationDecision: 'anyway' })).ticks), [{ selected: [], strip: false }]);
  assert.deepEqual(plain(firstStep(warned, settings({ automationDecision: 'anyway', forceMaskFaces: true })).ticks), [{ selected: [0], strip: false }]);
  assert.equal(needsFix(warned, firstStep(warned, settings({ automationDecision: 'cancel' })).ticks), false);
});

test('"post anyway" keeps what the policy forces and drops the rest', () => {
  const warned = [photo({ faces: 2, location: true })];
  const current = [ticks(warned[0], { mask: true, strip: true })];
  assert.deepEqual(plain(ticksAfterChoice('anyway', warned, current, settings())), [{ selected: [], strip: false }]);
  assert.deepEqual(plain(ticksAfterChoice('anyway', warned, current, settings({ forceRemoveLocation: true }))), [{ selected: [], strip: true }]);
  assert.equal(ticksAfterChoice('protect', warned, current, settings()), current);
});

test('"post the original" after a failed fix is offered unless a policy forces a fix', () => {
  assert.equal(mayPostOriginal(settings()), true);
  assert.equal(mayPostOriginal(settings({ defaultAction: 'mask' })), true);
  assert.equal(mayPostOriginal(settings({ forceMaskFaces: true })), false);
  assert.equal(mayPostOriginal(settings({ forceRemoveLocation: true })), false);
});
