// The explainer page: shows the article in the page's language and writes the GDPR request
// letter. Works as an extension page and served over http (no extension API needed).
// DOM APIs and textContent only; nothing typed is stored or sent anywhere.
import { pageLanguage, translator } from './i18n.js';

const params = new URLSearchParams(location.search);

function showLanguage(lang) {
  document.documentElement.lang = lang;
  for (const article of document.querySelectorAll('main > article[lang]')) {
    article.hidden = article.lang !== lang;
  }
  for (const el of document.querySelectorAll('[data-lang]')) {
    el.hidden = el.dataset.lang !== lang;
  }
  const labelKey = `label${lang[0].toUpperCase()}${lang.slice(1)}`;
  for (const el of document.querySelectorAll('[data-label-en]')) {
    el.setAttribute('aria-label', el.dataset[labelKey] ?? el.dataset.labelEn);
  }
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

async function main() {
  if (params.get('projector') === '1') document.documentElement.classList.add('projector');
  showLanguage(pageLanguage());
  for (const article of document.querySelectorAll('main > article[lang]')) {
    const w = await translator(article.lang);
    for (const form of article.querySelectorAll('form[data-letter]')) setUpLetter(form, w);
  }
  document.documentElement.dataset.ready = 'true';
}

main();
