// The explainer page: shows the article in the page's language and writes the GDPR request
// letter. Works as an extension page and served over http (no extension API needed).
// DOM APIs and textContent only; nothing typed is stored or sent anywhere.
import { loadMessages, loadPart, localise, pageLanguage, translator } from './i18n.js';

const params = new URLSearchParams(location.search);

function showLanguage(lang) {
  // The language links keep the other parameters (e.g. projector mode).
  for (const link of document.querySelectorAll('.lang-switch a[hreflang]')) {
    const next = new URLSearchParams(params);
    next.set('lang', link.hreflang);
    link.href = `?${next}`;
    if (link.hreflang === lang) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const h1 = document.querySelector(`main > article[lang="${lang}"] h1`);
  if (h1) document.title = `${h1.textContent.trim()} – Before You Post`;
}

// ---------------------------------------------------------------- the request letter
// Its words are the extension's messages (_locales), in the language of the article it is in.

function isFrance(country) {
  return /^\s*(france|fr)\s*$/i.test(country);
}

function joinList(items, and) {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

// The letter for the form's values { name, email, country, recipient, rights }, worded by `w`.
export function letter(w, v) {
  const name = v.name || w('letterBlankName');
  const has = (a) => v.rights.includes(a);
  const requests = [];
  if (has('15')) requests.push(w('letterAccess'));
  if (has('17')) requests.push(w(has('15') ? 'letterErasureAfterCopy' : 'letterErasure'));
  if (has('21')) requests.push(w('letterObjection'));
  const authority = w(isFrance(v.country) ? 'letterAuthorityFrance' : 'letterAuthorityOther');
  return [
    w('letterTo', [v.recipient || w('letterBlankRecipient')]),
    w('letterSubject', [joinList(v.rights.map((a) => w('letterArticle', [a])), w('letterAnd'))]),
    '',
    w('letterGreeting'),
    '',
    v.country ? w('letterIntroCountry', [name, v.country]) : w('letterIntro', [name]),
    '',
    ...requests.flatMap((text, i) => [`${i + 1}. ${text}`, '']),
    w('letterPhoto'),
    '',
    w('letterDeadline', [authority]),
    '',
    w('letterAnswerTo', [v.email || w('letterBlankEmail')]),
    '',
    w('letterClosing'),
    name,
  ].join('\n');
}

function setUpLetter(form, w) {
  const field = (name) => form.querySelector(`[data-field="${name}"]`).value.trim();
  const output = form.querySelector('[data-output]');
  const copy = form.querySelector('[data-copy]');
  const status = form.querySelector('[data-status]');

  const update = () => {
    const rights = [...form.querySelectorAll('[data-right]')]
      .filter((box) => box.checked).map((box) => box.dataset.right);
    output.value = rights.length === 0 ? w('explainerLetterNeedRight') : letter(w, {
      name: field('name'),
      email: field('email'),
      country: field('country'),
      recipient: field('recipient'),
      rights,
    });
    copy.disabled = rights.length === 0;
    status.textContent = '';
    delete status.dataset.result;
  };

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  // Enter in a field must not submit the form (that would put nothing useful in the URL, but
  // also reload the page and lose what was typed).
  form.addEventListener('submit', (event) => event.preventDefault());
  copy.addEventListener('click', async () => {
    try {
      if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
      await navigator.clipboard.writeText(output.value);
      status.textContent = w('explainerLetterCopied');
      status.dataset.result = 'copied';
    } catch {
      output.focus();
      output.select();
      status.textContent = w('explainerLetterSelected');
      status.dataset.result = 'selected';
    }
  });
  update();
}

// The page in its language (i18n.js decides which): the article from explainer/<lang>.html,
// the frame's few words from _locales, the letter in the article's language.
// Links to outside sources carry no href: Chromium opens a connection to a link's site as soon
// as it is pressed, before the click and even when the click is then cancelled, and nothing
// may leave an extension page before the user has chosen to go there. A click (or Enter)
// opens the source in a new tab, without a referrer.
export function outsideLinksOnRequest(root) {
  for (const link of root.querySelectorAll('a[href^="http:"], a[href^="https:"]')) {
    const url = link.getAttribute('href');
    link.removeAttribute('href');
    link.dataset.outside = url;
    link.setAttribute('role', 'link');
    link.tabIndex = 0;
    link.title = url;
    const open = (e) => {
      if (!e.defaultPrevented) window.open(url, '_blank', 'noopener,noreferrer');
    };
    link.addEventListener('click', open);
    link.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') open(e);
    });
  }
}

async function main() {
  if (params.get('projector') === '1') document.documentElement.classList.add('projector');
  const lang = pageLanguage();
  await loadMessages().catch(() => {});
  localise();
  document.documentElement.lang = lang;
  const article = await loadPart('explainer', lang);
  for (const node of article) outsideLinksOnRequest(node);
  document.getElementById('content').append(...article);
  showLanguage(lang);
  const w = await translator(lang);
  for (const form of document.querySelectorAll('main > article form[data-letter]')) setUpLetter(form, w);
  document.documentElement.dataset.ready = 'true';
}

main();
