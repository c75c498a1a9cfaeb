// The explainer page: shows the article in the page's language and writes the GDPR request
// letter. Works as an extension page and served over http (no extension API needed).
// DOM APIs and textContent only; nothing typed is stored or sent anywhere.
const SUPPORTED = ['en', 'fr'];
const api = globalThis.browser ?? globalThis.chrome;
const params = new URLSearchParams(location.search);

// ?lang= wins, then the extension's UI language, then the browser's; English otherwise.
export function pageLanguage() {
  const asked = (params.get('lang') ?? '').toLowerCase();
  if (SUPPORTED.includes(asked)) return asked;
  const candidates = [];
  try {
    if (typeof api?.i18n?.getUILanguage === 'function') candidates.push(api.i18n.getUILanguage());
  } catch { /* not an extension page */ }
  candidates.push(navigator.language);
  for (const tag of candidates) {
    const primary = String(tag ?? '').slice(0, 2).toLowerCase();
    if (SUPPORTED.includes(primary)) return primary;
  }
  return 'en';
}

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

const WORDS = {
  en: {
    needRight: 'Tick at least one request above to write the letter.',
    copied: 'Copied. Paste the letter into an e-mail or the company\'s request form.',
    selected: 'Copying was not allowed here: the letter is selected, press Ctrl+C (or Cmd+C) to copy it.',
  },
  fr: {
    needRight: 'Cochez au moins une demande ci-dessus pour écrire la lettre.',
    copied: 'Copié. Collez la lettre dans un e-mail ou le formulaire de l\'entreprise.',
    selected: 'La copie n\'est pas autorisée ici : la lettre est sélectionnée, appuyez sur Ctrl+C (ou Cmd+C) pour la copier.',
  },
};

function isFrance(country) {
  return /^\s*(france|fr)\s*$/i.test(country);
}

function joinList(items, and) {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${and} ${items[items.length - 1]}`;
}

function letterEn(v) {
  const name = v.name || '[your name]';
  const email = v.email || '[your e-mail address]';
  const recipient = v.recipient || '[company]';
  const has = (a) => v.rights.includes(a);
  const requests = [];
  if (has('15')) {
    requests.push('Access (Article 15). Please tell me whether you process personal data about me, '
      + 'including photos of me, the biometric templates computed from them and the addresses of '
      + 'the pages where they were found. If you do, please send me a copy of this data, and tell '
      + 'me where it comes from, why you use it, to whom you have disclosed it and how long you '
      + 'will keep it.');
  }
  if (has('17')) {
    requests.push('Erasure (Article 17). Please erase all personal data about me, including photos, '
      + `biometric templates and links${has('15') ? ', after sending me the copy requested above' : ''}, `
      + 'and confirm in writing that it has been erased.');
  }
  if (has('21')) {
    requests.push('Objection (Article 21). I object to any processing of my personal data based on '
      + 'your legitimate interests, including collecting photos of me and comparing my face in the '
      + 'searches made by your customers. Please stop this processing.');
  }
  const authority = isFrance(v.country)
    ? 'the CNIL, the French data protection authority'
    : 'the data protection authority of the country where I live';
  return [
    `To: ${recipient}`,
    `Subject: Request under the GDPR (${joinList(v.rights.map((a) => `Article ${a}`), 'and')})`,
    '',
    'Dear Sir or Madam,',
    '',
    `My name is ${name}${v.country ? ` and I live in ${v.country}` : ''}. I am writing to exercise `
      + 'my rights under the General Data Protection Regulation (Regulation (EU) 2016/679, "GDPR"). '
      + 'The GDPR applies to your company, even if it is established outside the European Union, '
      + 'under its Article 3(2), because you monitor the behaviour of people who are in the Union.',
    '',
    ...requests.flatMap((text, i) => [`${i + 1}. ${text}`, '']),
    'If you need a photo of me to find this data, I will provide one for this request only: '
      + 'please use it for nothing else and delete it once you have answered.',
    '',
    'Under Article 12 of the GDPR, you must answer free of charge and without undue delay, within '
      + 'one month of receiving this request. If I receive no answer within one month, I will '
      + `lodge a complaint with ${authority} (Article 77).`,
    '',
    `Please send your answer to: ${email}`,
    '',
    'Yours faithfully,',
    name,
  ].join('\n');
}

function letterFr(v) {
  const name = v.name || '[votre nom]';
  const email = v.email || '[votre adresse e-mail]';
  const recipient = v.recipient || '[entreprise]';
  const has = (a) => v.rights.includes(a);
  const requests = [];
  if (has('15')) {
    requests.push('Accès (article 15). Merci de m\'indiquer si vous traitez des données personnelles '
      + 'me concernant, y compris des photos de moi, les gabarits biométriques calculés à partir de '
      + 'ces photos et les adresses des pages où elles ont été trouvées. Si c\'est le cas, merci de '
      + 'm\'en envoyer une copie et de m\'indiquer leur origine, les finalités du traitement, les '
      + 'destinataires à qui vous les avez communiquées et leur durée de conservation.');
  }
  if (has('17')) {
    requests.push('Effacement (article 17). Merci d\'effacer toutes les données personnelles me '
      + 'concernant, y compris les photos, les gabarits biométriques et les liens'
      + `${has('15') ? ', après m\'avoir envoyé la copie demandée ci-dessus' : ''}, `
      + 'et de me confirmer leur effacement par écrit.');
  }
  if (has('21')) {
    requests.push('Opposition (article 21). Je m\'oppose à tout traitement de mes données '
      + 'personnelles fondé sur vos intérêts légitimes, y compris la collecte de photos de moi et '
      + 'la comparaison de mon visage lors des recherches de vos clients. Merci de cesser ce '
      + 'traitement.');
  }
  const authority = isFrance(v.country)
    ? 'la CNIL'
    : 'l\'autorité de protection des données de mon pays';
  return [
    `À : ${recipient}`,
    `Objet : demande au titre du RGPD (${joinList(v.rights.map((a) => `article ${a}`), 'et')})`,
    '',
    'Madame, Monsieur,',
    '',
    `Je m'appelle ${name}${v.country ? ` (pays de résidence : ${v.country})` : ''}. Je vous écris `
      + 'pour exercer mes droits au titre du règlement général sur la protection des données '
      + '(règlement (UE) 2016/679, « RGPD »). Le RGPD s\'applique à votre entreprise, même établie '
      + 'hors de l\'Union européenne, en vertu de son article 3(2) (article 3, paragraphe 2), car '
      + 'vous suivez le comportement de personnes qui se trouvent dans l\'Union.',
    '',
    ...requests.flatMap((text, i) => [`${i + 1}. ${text}`, '']),
    'Si vous avez besoin d\'une photo de moi pour retrouver ces données, je vous en fournirai une '
      + 'pour cette seule demande : merci de ne l\'utiliser à aucune autre fin et de la supprimer '
      + 'après m\'avoir répondu.',
    '',
    'Selon l\'article 12 du RGPD, vous devez me répondre gratuitement, dans les meilleurs délais et '
      + 'au plus tard dans un délai d\'un mois à compter de la réception de cette demande. Sans '
      + `réponse dans ce délai, j'adresserai une plainte à ${authority} (article 77).`,
    '',
    `Merci d'adresser votre réponse à : ${email}`,
    '',
    'Je vous prie d\'agréer, Madame, Monsieur, l\'expression de mes salutations distinguées.',
    name,
  ].join('\n');
}

const LETTERS = { en: letterEn, fr: letterFr };

function setUpLetter(form, lang) {
  const words = WORDS[lang];
  const field = (name) => form.querySelector(`[data-field="${name}"]`).value.trim();
  const output = form.querySelector('[data-output]');
  const copy = form.querySelector('[data-copy]');
  const status = form.querySelector('[data-status]');

  const update = () => {
    const rights = [...form.querySelectorAll('[data-right]')]
      .filter((box) => box.checked).map((box) => box.dataset.right);
    output.value = rights.length === 0 ? words.needRight : LETTERS[lang]({
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
      status.textContent = words.copied;
      status.dataset.result = 'copied';
    } catch {
      output.focus();
      output.select();
      status.textContent = words.selected;
      status.dataset.result = 'selected';
    }
  });
  update();
}

function main() {
  if (params.get('projector') === '1') document.documentElement.classList.add('projector');
  showLanguage(pageLanguage());
  for (const article of document.querySelectorAll('main > article[lang]')) {
    const lang = SUPPORTED.includes(article.lang) ? article.lang : 'en';
    for (const form of article.querySelectorAll('form[data-letter]')) setUpLetter(form, lang);
  }
  document.documentElement.dataset.ready = 'true';
}

main();
