import { localise, t } from './i18n.js';

const api = globalThis.browser ?? globalThis.chrome;

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

localise();
showEngineStatus();
