import '../common/match-pattern.js';
import '../common/settings.js';
import { chosenLanguage, loadMessages, localise, t } from './i18n.js';

const api = globalThis.browser ?? globalThis.chrome;
const settings = globalThis.beforeYouPostSettings;

async function showEngineStatus() {
  const section = document.getElementById('engine');
  const status = document.getElementById('engine-status');
  const details = document.getElementById('engine-details');
  let info;
  try {
    info = await api.runtime.sendMessage({ type: 'engine-info' });
  } catch (err) {
    info = { error: String(err) };
  }
  if (!info || info.error) {
    section.dataset.state = 'failed';
    status.textContent = t('engineFailed');
    return;
  }
  section.dataset.state = 'ready';
  status.textContent = t('engineReady');
  const lines = [t('engineModel', [info.model.name])];
  details.replaceChildren(...lines.map((line) => Object.assign(document.createElement('span'), { textContent: line })));
  details.hidden = false;
}

// The current tab's site: checked because it is listed, enabled by the user, or not checked.
async function showSite() {
  const [tab] = await api.tabs.query({ active: true, currentWindow: true }).catch(() => []);
  const url = new URLSearchParams(location.search).get('url') ?? tab?.url; // ?url= for tests
  const tabId = tab?.id;
  const status = await api.runtime.sendMessage({ type: 'site-status', origin: url }).catch(() => null);
  const section = document.getElementById('site');
  const text = document.getElementById('site-status');
  const button = document.getElementById('site-toggle');
  if (!status?.supported) return;
  section.hidden = false;
  section.dataset.state = status.listed ? 'listed' : status.enabled ? 'enabled' : 'off';
  const host = new URL(status.origin).host;
  const hostname = new URL(status.origin).hostname;
  const s = await settings.load();
  if (settings.quiet(s, hostname) && (status.listed || status.enabled)) {
    section.dataset.state = 'quiet';
    text.textContent = t('siteQuiet');
    button.textContent = t('siteAskAgain');
    button.hidden = s.locked.includes('quietSites');
    button.onclick = async () => {
      await settings.setSite('quietSites', hostname, false);
      showSite();
    };
    return;
  }
  if (status.listed) {
    // Listed sites can be switched off (offSites), unless the policy keeps them on or locks it.
    const on = settings.siteOn(s, hostname);
    section.dataset.state = on ? 'listed' : 'paused';
    text.textContent = t(!on ? 'sitePaused' : s.policy.forceOn ? 'siteForced' : 'siteListed', [host]);
    button.hidden = s.locked.includes('offSites');
    button.textContent = t(on ? 'siteTurnOff' : 'siteTurnOn');
    button.onclick = async () => {
      await settings.setSite('offSites', settings.siteKey(hostname), on);
      showSite();
    };
    return;
  }
  text.textContent = t(status.enabled ? 'siteEnabled' : 'siteOff', [host]);
  button.textContent = t(status.enabled ? 'siteDisable' : 'siteEnable');
  button.hidden = false;
  button.onclick = async () => {
    if (status.enabled) {
      await api.runtime.sendMessage({ type: 'site-disable', origin: status.origin });
    } else {
      // Asked in the click itself: the browser only shows the prompt for a user gesture.
      const granted = await api.permissions.request({ origins: [`${status.origin}/*`] }).catch(() => false);
      if (!granted) return;
      await api.runtime.sendMessage({ type: 'site-enable', origin: status.origin, tabId });
    }
    showSite();
  };
}

// Kept on this device only (storage.local): how often the extension warned and protected a photo.
async function showCounts() {
  const { warnings, fixes } = await settings.readCounts();
  document.getElementById('counts-text').textContent = t('popupCounts', [String(warnings), String(fixes)]);
}

// Our own pages in the language of the settings; the options page where the browser shows it.
function setUpLinks() {
  const lang = chosenLanguage();
  if (lang) {
    for (const a of document.querySelectorAll('#links a:not(#open-options)')) a.href = `${a.getAttribute('href')}?lang=${lang}`;
  }
  document.getElementById('open-options').addEventListener('click', (event) => {
    event.preventDefault();
    api.runtime.openOptionsPage();
  });
}

await loadMessages({ followSettings: true }).catch(() => {});
localise();
setUpLinks();
showSite();
showCounts();
showEngineStatus();
