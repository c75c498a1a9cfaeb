// The extension's settings, one definition for every context that reads them: background,
// extension pages (guard, popup, options) and content scripts. A classic script, so content
// scripts can load it from the manifest; pages and the background import it for its effect.
// It defines globalThis.beforeYouPostSettings (in a content script: the isolated world's, which
// the page cannot see).
//
// Effective settings = defaults, then the user's choices (storage.sync), then the managed policy
// set by a school or company administrator (storage.managed, read-only) on top.
(() => {
  'use strict';
  // Defined once per context; in a content script orphaned by an extension update, the copy
  // the new version injects replaces the old one, whose extension APIs are gone.
  if (globalThis.beforeYouPostSettings && !globalThis.beforeYouPostSettings.orphaned?.()) return;
  const api = globalThis.browser ?? globalThis.chrome;
  const orphaned = () => {
    try {
      return !api.runtime?.id;
    } catch {
      return true;
    }
  };

  // The user's settings and their allowed values.
  const CHOICES = Object.freeze({
    sensitivity: ['recognisable', 'any_face'],
    defaultAction: ['ask', 'mask', 'strip'],
    language: ['auto', 'en', 'fr'],
    // A short "checked on this device" notice when a photo passes (no face that counts, no location).
    checkedNotice: ['on', 'off'],
  });
  const DEFAULTS = Object.freeze({ sensitivity: 'recognisable', defaultAction: 'ask', language: 'auto', checkedNotice: 'on' });
  // { siteKey: true } maps: sites switched off, sites where the user chose "don't ask again".
  const SITE_MAPS = ['offSites', 'quietSites'];
  const USER_KEYS = [...Object.keys(CHOICES), ...SITE_MAPS];

  // Managed policy keys (see managed-schema.json and ADMINISTRATORS.md).
  const POLICY_FLAGS = ['forceOn', 'forceMaskFaces', 'forceRemoveLocation', 'lockSettings', 'openDemoOnInstall'];
  const AUTOMATION_DECISIONS = ['protect', 'anyway', 'cancel'];

  const isMap = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const trueKeys = (v) => (isMap(v) ? Object.fromEntries(Object.entries(v).filter(([, on]) => on === true)) : {});

  // Pure: the effective settings from what storage.sync and storage.managed hold.
  // `locked` lists the user keys the policy decides (shown read-only in the options page).
  function effective(user = {}, managed = {}) {
    const s = { ...DEFAULTS };
    const locked = new Set();
    for (const [key, allowed] of Object.entries(CHOICES)) {
      if (allowed.includes(user[key])) s[key] = user[key];
      if (allowed.includes(managed[key])) {
        s[key] = managed[key];
        locked.add(key);
      }
    }
    for (const key of SITE_MAPS) s[key] = trueKeys(user[key]);
    const policy = {};
    for (const flag of POLICY_FLAGS) policy[flag] = managed[flag] === true;
    policy.automationDecision = AUTOMATION_DECISIONS.includes(managed.automationDecision) ? managed.automationDecision : null;
    if (policy.forceOn) {
      // Every listed site checked, every time.
      s.offSites = {};
      s.quietSites = {};
      locked.add('offSites');
      locked.add('quietSites');
    }
    if (policy.forceMaskFaces && policy.forceRemoveLocation) locked.add('defaultAction');
    if (policy.lockSettings) for (const key of USER_KEYS) locked.add(key);
    s.policy = policy;
    s.locked = [...locked];
    s.managed = Object.keys(managed).some((k) => POLICY_FLAGS.includes(k) || k in CHOICES || k === 'automationDecision');
    return s;
  }

  // Firefox rejects when no managed storage is configured; Chromium answers {}.
  async function readManaged() {
    try {
      return (await api.storage.managed.get()) ?? {};
    } catch {
      return {};
    }
  }

  async function readUser() {
    try {
      return await api.storage.sync.get(USER_KEYS);
    } catch {
      return {};
    }
  }

  async function load() {
    if (!api?.storage) return effective();
    const [user, managed] = await Promise.all([readUser(), readManaged()]);
    return effective(user, managed);
  }

  // Calls back with the effective settings now and after every change (user or policy).
  function watch(callback) {
    const refresh = () => load().then(callback, () => {});
    api.storage.onChanged.addListener((changes, area) => {
      if (area === 'managed' || (area === 'sync' && USER_KEYS.some((k) => k in changes))) refresh();
    });
    refresh();
  }

  // Stores user settings; keys the policy decides are refused (answers the keys not saved).
  async function save(changes) {
    const s = await load();
    const refused = Object.keys(changes).filter((k) => !USER_KEYS.includes(k) || s.locked.includes(k));
    const allowed = Object.fromEntries(Object.entries(changes).filter(([k]) => !refused.includes(k)));
    if (Object.keys(allowed).length > 0) await api.storage.sync.set(allowed);
    return refused;
  }

  // One entry of a { siteKey: true } map switched on or off.
  async function setSite(map, key, on) {
    const current = trueKeys((await api.storage.sync.get(map))[map]);
    if (on) current[key] = true;
    else delete current[key];
    return save({ [map]: current });
  }

  // The listed sites as domains ("*.facebook.com" -> "facebook.com"), from the manifest.
  // The listed sites' domains, from the manifest's content-script matches (made from
  // extension/sites.json by the build), read with the one match-pattern parser.
  function listedDomains() {
    const { domainOf } = globalThis.beforeYouPostMatchPattern;
    const domains = new Set();
    for (const cs of api.runtime.getManifest().content_scripts ?? []) {
      for (const pattern of cs.matches) {
        const domain = domainOf(pattern);
        if (domain) domains.add(domain);
      }
    }
    return [...domains];
  }

  // Switching a listed site off covers all its subdomains (www.facebook.com -> facebook.com).
  function siteKey(hostname) {
    return listedDomains().find((d) => hostname === d || hostname.endsWith(`.${d}`)) ?? hostname;
  }

  function siteOn(s, hostname) {
    return s.policy.forceOn || !s.offSites[siteKey(hostname)];
  }

  function quiet(s, hostname) {
    return !s.policy.forceOn && Boolean(s.quietSites[hostname]);
  }

  // Counts kept only on this device (storage.local): warnings shown, photos protected.
  // Numbers only: no time, no site, nothing about the photos.
  async function readCounts() {
    const { counts } = await api.storage.local.get('counts');
    return { warnings: Number(counts?.warnings) || 0, fixes: Number(counts?.fixes) || 0 };
  }

  let counting = Promise.resolve();
  function addCounts({ warnings = 0, fixes = 0 }) {
    counting = counting.then(async () => {
      const now = await readCounts();
      await api.storage.local.set({ counts: { warnings: now.warnings + warnings, fixes: now.fixes + fixes } });
    }).catch(() => {});
    return counting;
  }

  globalThis.beforeYouPostSettings = Object.freeze({
    CHOICES, DEFAULTS, USER_KEYS, AUTOMATION_DECISIONS,
    effective, load, watch, save, setSite, listedDomains, siteKey, siteOn, quiet, readCounts, addCounts, orphaned,
  });
})();
