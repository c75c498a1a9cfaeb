// Fills elements marked data-i18n with localised text. textContent only: messages are never HTML.
const api = globalThis.browser ?? globalThis.chrome;

export function t(key, substitutions) {
  return api.i18n.getMessage(key, substitutions) || key;
}

export function localise(root = document) {
  document.documentElement.lang = api.i18n.getUILanguage();
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
}
