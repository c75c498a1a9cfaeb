// What happens to the photos the engine warned about, by the user's settings and the managed
// policy: whether to ask, fix without asking or apply a test profile's preset decision, and
// which faces and locations are ticked. Pure functions of the check results and the effective
// settings (common/settings.js): no DOM, no extension APIs, tested on their own
// (tests/unit/policy-rules.test.mjs). The guard's dialog only shows what these decide.
//
// A photo `r` here is one check result: { analysis: { faces, verdict, faces_checked }, meta,
// type }. Ticks are { selected: Set of face indices, strip: boolean }.

// What a photo allows comes from the engine: the file's inspection (`meta.can_mask`: decoded
// and written back in the same format; `meta.can_strip_location`) and the verdict.
export const canMask = (r) => r.meta?.can_mask === true && r.analysis.faces_checked !== false;
export const strippable = (r) => Boolean(r.meta?.has_location) && r.meta?.can_strip_location !== false;
export const warnsForFaces = (r) => r.analysis.verdict.warns_for_faces;
export const warnsForLocation = (r) => r.analysis.verdict.warns_for_location;
// Masking re-encodes the photo without any metadata, so it removes the location too.
const maskable = (r) => canMask(r) && r.analysis.verdict.faces.some((face) => face.ticked);

// The ticks for these actions ({ mask, strip }): masking ticks the faces the verdict ticks.
export function ticks(r, { mask, strip }) {
  const ticked = r.analysis.verdict.faces.flatMap((face, i) => (face.ticked ? [i] : []));
  return {
    selected: new Set(mask && canMask(r) ? ticked : []),
    strip: Boolean(strip) && strippable(r),
  };
}

// Whether these actions deal with everything the photo was warned for.
export function covers(r, { mask, strip }) {
  const masked = mask && maskable(r);
  return (!warnsForFaces(r) || masked) && (!warnsForLocation(r) || masked || (strip && strippable(r)));
}

// Whether these ticks (one per photo; by default the photos' own `selected` and `strip`) ask
// for a protected copy of any photo.
export const needsFix = (warned, allTicks = warned) =>
  warned.some((r, i) => allTicks[i].selected.size > 0 || (allTicks[i].strip && Boolean(r.meta?.has_location)));

// What the policy forces, whatever the user picks ({ mask, strip }).
export const forcedBy = (s) => ({ mask: Boolean(s.policy.forceMaskFaces), strip: Boolean(s.policy.forceRemoveLocation) });

// The first step for these warned photos:
//  { mode: 'preset', choice, ticks, notices }: a test profile's preset decision, no dialog;
//  { mode: 'auto', choice: 'protect', ticks, notices }: "always mask / remove location" (setting
//    or policy) covers every photo: fixed without asking, with a notice;
//  { mode: 'ask', ticks }: the warning opens with everything ticked.
// `notices` are message keys.
export function firstStep(warned, s) {
  const forced = forcedBy(s);
  const preset = s.policy.automationDecision;
  if (preset) {
    const actions = preset === 'protect' ? { mask: true, strip: true } : forced;
    return { mode: 'preset', choice: preset, ticks: warned.map((r) => ticks(r, actions)), notices: [`noticePreset_${preset}`] };
  }
  const auto = { mask: forced.mask || s.defaultAction === 'mask', strip: forced.strip || s.defaultAction === 'strip' };
  if (warned.every((r) => covers(r, auto))) {
    const chosen = warned.map((r) => ticks(r, auto));
    const notices = [];
    if (chosen.some((x) => x.selected.size > 0)) notices.push(forced.mask ? 'noticePolicyMasked' : 'noticeAutoMasked');
    if (chosen.some((x) => x.selected.size === 0 && x.strip)) notices.push(forced.strip ? 'noticePolicyStripped' : 'noticeAutoStripped');
    return { mode: 'auto', choice: 'protect', ticks: chosen, notices };
  }
  return { mode: 'ask', ticks: warned.map((r) => ticks(r, { mask: true, strip: true })) };
}

// The ticks after the user's choice in the warning: "post anyway" still applies what the policy
// forces (shown ticked and locked); otherwise the user's own ticks stand.
export function ticksAfterChoice(choice, warned, current, s) {
  if (choice === 'anyway') return warned.map((r) => ticks(r, forcedBy(s)));
  return current;
}

// Whether "post the original" may be offered after a fix failed: not when a policy forces one.
export const mayPostOriginal = (s) => !forcedBy(s).mask && !forcedBy(s).strip;
