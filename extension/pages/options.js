// The options page: edits the user's settings in storage.sync (common/settings.js) and shows,
// read-only, what a school or company policy decides (storage.managed).
import '../common/match-pattern.js';
import '../common/settings.js';
import { loadMessages, localise, t } from './i18n.js';

const api = globalThis.browser ?? globalThis.chrome;
const settings = globalThis.beforeYouPostSettings;

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

let language = null; // the language the page is shown in

// Saves, then says so; the page is redrawn by watch() when storage changes.
async function persist(change) {
  const status = document.getElementById('saved');
  try {
    const refused = await change();
    status.textContent = refused?.length ? t('optionsLockedByPolicy') : t('optionsSaved');
  } catch (err) {
    console.error('Before You Post options:', err);
    status.textContent = t('optionsSaveFailed');
  }
}

function siteList(s) {
  return settings.listedDomains().map((domain) => {
    const box = el('input', { type: 'checkbox', checked: settings.siteOn(s, domain) });
    box.dataset.site = domain;
    box.addEventListener('change', () => persist(() => settings.setSite('offSites', domain, !box.checked)));
    return el('li', {}, el('label', {}, box, ` ${domain}`));
  });
}

// Sites the user turned on from the popup (optional permission + registered content scripts).
async function enabledList() {
  const scripts = await api.scripting.getRegisteredContentScripts().catch(() => []);
  const origins = scripts.filter((x) => x.id.startsWith('site sensor ')).map((x) => x.id.slice('site sensor '.length));
  return origins.map((origin) => {
    const button = el('button', { type: 'button', textContent: t('siteDisable') });
    button.setAttribute('aria-label', `${t('siteDisable')}: ${new URL(origin).host}`);
    button.addEventListener('click', () => persist(async () => {
      await api.runtime.sendMessage({ type: 'site-disable', origin });
      render(await settings.load());
    }));
    return el('li', {}, `${new URL(origin).host} `, button);
  });
}

function quietList(s) {
  return Object.keys(s.quietSites).sort().map((site) => {
    const button = el('button', { type: 'button', textContent: t('siteAskAgain') });
    button.setAttribute('aria-label', `${t('siteAskAgain')}: ${site}`);
    button.addEventListener('click', () => persist(() => settings.setSite('quietSites', site, false)));
    return el('li', {}, `${site} `, button);
  });
}

function showLocks(s) {
  const locked = new Set(s.locked);
  const note = document.getElementById('policy-note');
  note.hidden = !s.managed;
  note.textContent = t(s.policy.lockSettings ? 'optionsPolicyLocked' : 'optionsPolicySome');
  for (const fieldset of document.querySelectorAll('fieldset[data-setting]')) {
    const isLocked = locked.has(fieldset.dataset.setting);
    fieldset.disabled = isLocked;
    fieldset.toggleAttribute('data-locked', isLocked);
    fieldset.querySelector('.locked-note')?.remove();
    if (isLocked) {
      fieldset.querySelector('legend').after(el('p', { className: 'locked-note', textContent: t('optionsLockedByPolicy') }));
    }
  }
  const action = document.getElementById('default-action');
  action.querySelector('.forced-note')?.remove();
  const forced = [s.policy.forceMaskFaces && 'optionsForcedMask', s.policy.forceRemoveLocation && 'optionsForcedStrip'].filter(Boolean);
  if (forced.length > 0) action.append(el('p', { className: 'forced-note', textContent: forced.map((k) => t(k)).join(' ') }));
}

async function render(s) {
  if (s.language !== language) {
    language = s.language;
    await loadMessages({ followSettings: true }).catch(() => {});
    localise();
  }
  for (const key of Object.keys(settings.CHOICES)) {
    for (const input of document.querySelectorAll(`input[name="${key}"]`)) input.checked = input.value === s[key];
  }
  document.getElementById('site-list').replaceChildren(...siteList(s));
  const enabled = await enabledList();
  document.getElementById('enabled-list').replaceChildren(...enabled);
  document.getElementById('enabled-none').hidden = enabled.length > 0;
  const quiet = quietList(s);
  document.getElementById('quiet-list').replaceChildren(...quiet);
  document.getElementById('quiet-none').hidden = quiet.length > 0;
  showLocks(s);
  document.body.dataset.ready = 'yes'; // for tests: the stored settings are on screen
}

document.getElementById('settings').addEventListener('change', (event) => {
  const input = event.target;
  if (input.type === 'radio' && Object.hasOwn(settings.CHOICES, input.name)) {
    persist(() => settings.save({ [input.name]: input.value }));
  }
});
document.getElementById('settings').addEventListener('submit', (event) => event.preventDefault());

settings.watch((s) => {
  render(s).catch((err) => console.error('Before You Post options:', err));
});
