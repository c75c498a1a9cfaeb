// Localised strings for extension pages and for the same pages served over http (the
// classroom demo). textContent only: messages are never HTML.
const api = globalThis.browser ?? globalThis.chrome;
const inExtension = Boolean(api?.i18n?.getMessage);
const SUPPORTED = ['en', 'fr'];

let served = null; // messages.json of the chosen language when not the browser's own
let servedLang = 'en';
let settingLang = null; // the extension's language setting, when not "auto"

// Picks the language: ?lang= wins, then the language setting, then the browser's; English otherwise.
export function pageLanguage() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (SUPPORTED.includes(asked)) return asked;
  if (settingLang) return settingLang;
  if (inExtension) return api.i18n.getUILanguage().slice(0, 2) === 'fr' ? 'fr' : 'en';
  const nav = (navigator.language || 'en').slice(0, 2);
  return SUPPORTED.includes(nav) ? nav : 'en';
}

// The language chosen in the settings (or by policy), null for "auto". For links to our pages.
export function chosenLanguage() {
  return settingLang;
}

// Needed before t() outside the extension, or when ?lang= overrides the browser's language.
// With { followSettings: true } (popup, options, guard), the language setting applies too; other
// pages get it through ?lang= in the links to them. Call again to follow a changed setting.
export async function loadMessages({ followSettings = false } = {}) {
  const asked = new URLSearchParams(location.search).has('lang');
  if (followSettings && inExtension && globalThis.beforeYouPostSettings) {
    // The page imported common/settings.js.
    const { language } = await globalThis.beforeYouPostSettings.load();
    settingLang = SUPPORTED.includes(language) ? language : null;
  }
  if (inExtension && !asked && !settingLang) {
    served = null;
    return;
  }
  const lang = pageLanguage();
  if (served && servedLang === lang) return;
  const res = await fetch(new URL(`../_locales/${lang}/messages.json`, import.meta.url));
  served = await res.json();
  servedLang = lang;
}

function format(entry, substitutions = []) {
  const subs = Array.isArray(substitutions) ? substitutions : [substitutions];
  let text = entry.message;
  for (const [name, ph] of Object.entries(entry.placeholders ?? {})) {
    const value = ph.content.replace(/\$(\d)/g, (_, i) => subs[Number(i) - 1] ?? '');
    text = text.replace(new RegExp(`\\$${name}\\$`, 'gi'), value);
  }
  return text.replace(/\$\$/g, '$');
}

// The messages of one language, whatever the page's: for pages that show both languages at
// once (the explainer writes its letter in the language of each article). Resolves to a t().
const catalogues = new Map();
export async function translator(lang) {
  const code = SUPPORTED.includes(lang) ? lang : 'en';
  if (!catalogues.has(code)) {
    catalogues.set(code, fetch(new URL(`../_locales/${code}/messages.json`, import.meta.url)).then((r) => r.json()));
  }
  const messages = await catalogues.get(code);
  return (key, substitutions) => (messages[key] ? format(messages[key], substitutions) : key);
}

// A page's long text in one language (`<name>/<lang>.html` beside the pages): parsed, never
// run (DOMParser), and returned as nodes of this document. For the explainer's article.
export async function loadPart(name, lang) {
  const code = SUPPORTED.includes(lang) ? lang : 'en';
  const res = await fetch(new URL(`${name}/${code}.html`, import.meta.url));
  const parsed = new DOMParser().parseFromString(await res.text(), 'text/html');
  return [...parsed.body.children].map((node) => document.importNode(node, true));
}

// The language the page's messages are in.
export function messageLanguage() {
  if (served) return servedLang;
  return inExtension && api.i18n.getUILanguage().slice(0, 2) === 'fr' ? 'fr' : 'en';
}

// A message with a count in it, in the plural form the language needs for `count` (keys
// `<key>_one`, `<key>_other`, ... as Intl.PluralRules names them; French says "1 visage" and
// "0 visage", English "0 faces"). `substitutions` default to the count alone.
export function plural(key, count, substitutions = [String(count)]) {
  const form = new Intl.PluralRules(messageLanguage()).select(count);
  const text = t(`${key}_${form}`, substitutions);
  return text === `${key}_${form}` ? t(`${key}_other`, substitutions) : text;
}

// An EXIF date ("2024:06:21 18:42:05", the camera's local time, no time zone) or a video's
// ("2024-05-01T12:34:56Z", "Z" meaning UTC, said so) as people write it in `lang` (the page's
// language); the raw text when it is not a date.
export function captureTime(raw, lang = messageLanguage()) {
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z)?/.exec(String(raw ?? ''));
  if (!m) return String(raw ?? '');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((x) => Number(x ?? 0));
  const when = new Date(year, month - 1, day, hour, minute, second);
  if (Number.isNaN(when.getTime()) || when.getMonth() !== month - 1) return String(raw);
  const text = new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeStyle: 'short' }).format(when);
  return m[7] ? `${text} UTC` : text;
}

export function t(key, substitutions) {
  if (served) return served[key] ? format(served[key], substitutions) : key;
  return (inExtension && api.i18n.getMessage(key, substitutions)) || key;
}

export function localise(root = document) {
  document.documentElement.lang = served ? servedLang : (inExtension ? api.i18n.getUILanguage() : 'en');
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  }
}
