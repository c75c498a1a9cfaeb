// The explainer page (what face search is, the Clearview AI decisions, what to do, the GDPR
// request letter) as an extension page in headless Chromium, in English and French: the right
// language shows, every figure has its source beside it, the letter follows the form, nothing
// is requested from anywhere but the extension, and axe-core finds no accessibility violation.
// Also served over http the way .ci/serve.mjs serves the classroom demo.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT } from '../../../.ci/assemble.mjs';
import { launchChromium } from '../lib/chromium.mjs';
import { testBuild } from '../lib/common.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const ARTIFACTS = join(ROOT, 'tests/e2e/artifacts');

let build;
let browser;
let serve;
let servedBase;
let extBase;
const requests = [];

before(async () => {
  build = testBuild('chromium');
  serve = spawn(process.execPath, [join(ROOT, '.ci/serve.mjs'), build.dir, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(serve.stdout, 'data');
  servedBase = String(line).match(/http:\/\/127\.0\.0\.1:\d+\//)[0];
  browser = await launchChromium(build.dir);
  extBase = `chrome-extension://${browser.extensionId}/`;
  browser.context.on('request', (req) => requests.push(req.url()));
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  serve?.kill();
  build?.remove();
});

const OTHER = { en: 'fr', fr: 'en' };

async function openExplainer(query, { base = extBase, colorScheme = 'light', beforeLoad } = {}) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  await page.emulateMedia({ colorScheme });
  if (beforeLoad) await beforeLoad(page);
  await page.goto(`${base}pages/explainer.html${query}`);
  await page.waitForSelector('html[data-ready="true"]');
  return { page, errors };
}

async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] }));
  assert.ok(result.passes.length > 20, `axe-core checked only ${result.passes.length} rules`);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
  }));
}

function assertNoViolations(violations, where) {
  assert.deepEqual(violations, [], `axe-core violations ${where}:\n${JSON.stringify(violations, null, 2)}`);
}

// Facts about the visible article, read in the page.
function readArticle(page, lang) {
  return page.evaluate((lang) => {
    const article = document.querySelector(`main > article[lang="${lang}"]`);
    const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const text = (el) => el.textContent.replace(/\s+/g, ' ').trim();
    const rows = [...article.querySelectorAll('table.figures tbody tr')].map((tr) => {
      const cells = [...tr.children];
      return {
        date: text(cells[0]),
        figure: text(cells[1]),
        source: text(cells[cells.length - 1]),
        sourceHasCite: Boolean(cells[cells.length - 1].querySelector('cite')),
      };
    });
    const decisions = [...article.querySelectorAll('ul.decisions > li')].map((li) => ({
      text: text(li),
      cite: li.querySelector('cite') ? text(li.querySelector('cite')) : '',
    }));
    // Every list item or paragraph of the article that shows a money figure.
    const money = [...article.querySelectorAll('li, p, td')]
      .filter((el) => /\d/.test(el.textContent) && /EUR|€|GBP|£/.test(el.textContent))
      .filter((el) => !el.querySelector('li, p'))
      .map((el) => ({ text: text(el), cite: el.querySelector('cite') ? text(el.querySelector('cite')) : '' }));
    return {
      visible: visible(article),
      visibleH1: [...document.querySelectorAll('h1')].filter(visible).map(text),
      sections: [...article.querySelectorAll(':scope > section')].map((s) => s.id),
      rows,
      decisions,
      money,
      htmlLang: document.documentElement.lang,
      title: document.title,
    };
  }, lang);
}

for (const lang of ['en', 'fr']) {
  test(`extension page in ${lang}: right article, sourced figures, no violations`, async () => {
    const first = requests.length;
    const { page, errors } = await openExplainer(`?lang=${lang}`);
    const facts = await readArticle(page, lang);
    assert.equal(facts.htmlLang, lang);
    assert.ok(facts.visible, `the ${lang} article is not visible`);
    assert.ok(await page.isHidden(`main > article[lang="${OTHER[lang]}"]`), `the ${OTHER[lang]} article is visible`);
    assert.equal(facts.visibleH1.length, 1, `visible h1: ${JSON.stringify(facts.visibleH1)}`);
    assert.ok(facts.title.startsWith(facts.visibleH1[0]), `title "${facts.title}"`);
    assert.equal(facts.sections.length, 6, `sections: ${facts.sections}`);

    // The collection's size over time: every row has a date, a figure and a source.
    assert.ok(facts.rows.length >= 5, `${facts.rows.length} rows in the figures table`);
    for (const row of facts.rows) {
      assert.match(row.date, /\d{4}/, `row without a date: ${JSON.stringify(row)}`);
      assert.match(row.figure, /\d/, `row without a figure: ${JSON.stringify(row)}`);
      assert.ok(row.sourceHasCite && row.source.length > 5, `row without a source: ${JSON.stringify(row)}`);
      assert.match(row.source, /\d{4}/, `source without a date: ${JSON.stringify(row)}`);
    }
    // The weak "50 billion" figure is never shown.
    const body = await page.textContent(`main > article[lang="${lang}"]`);
    assert.doesNotMatch(body, /50 (billion|milliards)/);

    // Every decision has its source and date beside it; every money figure has a <cite>.
    assert.ok(facts.decisions.length >= 10, `${facts.decisions.length} decisions`);
    for (const d of facts.decisions) {
      assert.ok(d.cite.length > 3, `decision without a source: ${d.text}`);
      assert.match(d.cite, /\d{4}/, `decision source without a date: ${d.text}`);
    }
    assert.ok(facts.money.length >= 6, `${facts.money.length} money figures`);
    for (const m of facts.money) assert.ok(m.cite.length > 3, `money figure without a source: ${m.text}`);
    for (const name of ['CNIL', 'Garante', 'HDPA', 'ICO', 'Autoriteit Persoonsgegevens', 'DSB', 'OAIC', 'BIPA']) {
      assert.ok(facts.decisions.some((d) => d.text.includes(name)), `no decision mentions ${name}`);
    }
    assert.ok(facts.decisions.some((d) => /5[.,]2 million/.test(d.text)), 'the EUR 5.2 M overdue penalty is missing');
    // The UK fine is contested, not standing.
    const uk = facts.decisions.find((d) => d.text.includes('ICO'));
    assert.match(uk.text, lang === 'en' ? /contested in court/ : /contestée en justice/);

    // No external resource loads by itself; external links are plain links without referrer.
    const resources = await page.evaluate(() => [...document.querySelectorAll('[src], link[href]')]
      .map((el) => el.src || el.href));
    for (const url of resources) assert.ok(url.startsWith(extBase), `external resource ${url}`);
    // Outside sources carry no href (pressing a link makes Chromium connect to its site even
    // if the click is cancelled): a click opens them in a new tab without a referrer.
    assert.deepEqual(await page.$$eval('a[href^="http"]', (as) => as.map((a) => a.href)), []);
    const external = await page.$$eval('a[data-outside]', (as) => as.map((a) => ({ url: a.dataset.outside, role: a.getAttribute('role'), tabIndex: a.tabIndex })));
    assert.ok(external.length > 0);
    for (const a of external) assert.deepEqual([a.role, a.tabIndex, /^https:\/\//.test(a.url)], ['link', 0, true], a.url);
    await page.evaluate(() => { window.opened = []; window.open = (...args) => { window.opened.push(args); return null; }; });
    await page.click('a[data-outside]');
    await page.focus('a[data-outside]');
    await page.keyboard.press('Enter');
    assert.deepEqual(await page.evaluate(() => window.opened), [0, 1].map(() => [external[0].url, '_blank', 'noopener,noreferrer']));
    // The language switch keeps the user on this page.
    const switchLinks = await page.$$eval('.lang-switch a', (as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(switchLinks, ['?lang=en', '?lang=fr']);

    assertNoViolations(await axeViolations(page), `in ${lang}`);
    await page.screenshot({ path: join(ARTIFACTS, `explainer-${lang}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
    const offExtension = requests.slice(first).filter((url) => !url.startsWith(extBase));
    assert.deepEqual(offExtension, [], 'the explainer made requests outside the extension');
  });
}

const LETTER_CASES = {
  en: { name: 'Ada Lovelace', email: 'ada@example.org', country: 'France', authority: /the CNIL/, article: (n) => new RegExp(`Article ${n}\\b`) },
  fr: { name: 'Marie Curie', email: 'marie@example.org', country: 'France', authority: /la CNIL/, article: (n) => new RegExp(`article ${n}\\b`) },
};

for (const [lang, c] of Object.entries(LETTER_CASES)) {
  test(`the request letter in ${lang} follows the form and stays in the page`, async () => {
    const first = requests.length;
    const { page, errors } = await openExplainer(`?lang=${lang}`);
    const url = page.url();
    const form = `#${lang}-letter form`;
    const letter = () => page.inputValue(`#${lang}-letter-text`);

    // All three rights are ticked and the recipient is Clearview AI by default.
    for (const n of ['15', '17', '21']) assert.ok(await page.isChecked(`#${lang}-r${n}`));
    assert.equal(await page.inputValue(`#${lang}-recipient`), 'Clearview AI');
    assert.equal(await page.getAttribute(`#${lang}-letter-text`, 'readonly'), '');

    await page.fill(`#${lang}-name`, c.name);
    await page.fill(`#${lang}-email`, c.email);
    await page.fill(`#${lang}-country`, c.country);
    let text = await letter();
    assert.ok(text.includes(c.name), text);
    assert.ok(text.includes(c.email), text);
    assert.ok(text.includes('Clearview AI'), text);
    for (const n of ['12', '15', '17', '21', '77']) assert.match(text, c.article(n), `no article ${n} in:\n${text}`);
    assert.match(text, /3\(2\)/);
    assert.match(text, /2016\/679/);
    assert.match(text, c.authority);
    assert.match(text, lang === 'en' ? /photo of me/ : /photo de moi/);

    // Switching a right off removes its article; the others stay.
    await page.uncheck(`#${lang}-r21`);
    text = await letter();
    assert.doesNotMatch(text, /\b21\b/, `article 21 still in:\n${text}`);
    assert.match(text, c.article('15'));
    assert.match(text, c.article('17'));
    await page.uncheck(`#${lang}-r15`);
    text = await letter();
    assert.doesNotMatch(text, /\b15\b/);
    assert.match(text, c.article('17'));
    await page.uncheck(`#${lang}-r17`);
    assert.ok(await page.isDisabled(`${form} [data-copy]`), 'copy enabled with no right ticked');
    await page.check(`#${lang}-r21`);
    text = await letter();
    assert.match(text, c.article('21'));
    assert.doesNotMatch(text, /\b17\b/);

    // The recipient is editable.
    await page.fill(`#${lang}-recipient`, 'PimEyes');
    text = await letter();
    assert.ok(text.includes('PimEyes') && !text.includes('Clearview'), text);

    // Enter in a field does not submit anything; nothing typed is stored.
    await page.press(`#${lang}-name`, 'Enter');
    assert.equal(page.url(), url);
    const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
    assert.equal(stored, 0);

    // Copy: to the clipboard if allowed, otherwise the letter is selected; either way it says so.
    await page.click(`${form} [data-copy]`);
    await page.waitForSelector(`${form} [data-status][data-result]`);
    const result = await page.getAttribute(`${form} [data-status]`, 'data-result');
    assert.ok((await page.textContent(`${form} [data-status]`)).trim().length > 0);
    if (result === 'selected') {
      const selected = await page.evaluate((id) => {
        const ta = document.getElementById(id);
        return ta.value.slice(ta.selectionStart, ta.selectionEnd);
      }, `${lang}-letter-text`);
      assert.equal(selected, await letter());
    } else {
      assert.equal(result, 'copied');
    }

    assert.deepEqual(errors, []);
    await page.close();
    const offExtension = requests.slice(first).filter((u) => !u.startsWith(extBase));
    assert.deepEqual(offExtension, [], 'the letter made requests outside the extension');
  });
}

test('projector mode and dark scheme keep enough contrast', async () => {
  for (const [query, colorScheme] of [['?lang=en&projector=1', 'dark'], ['?lang=fr', 'dark']]) {
    const { page, errors } = await openExplainer(query, { colorScheme });
    if (query.includes('projector')) {
      assert.ok(await page.evaluate(() => document.documentElement.classList.contains('projector')));
      // The language links keep projector mode.
      const links = await page.$$eval('.lang-switch a', (as) => as.map((a) => new URL(a.href).search));
      assert.deepEqual(links, ['?lang=en&projector=1', '?lang=fr&projector=1']);
    }
    assertNoViolations(await axeViolations(page), `in ${query} (${colorScheme})`);
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('served over http: ?lang= wins, else the browser language, under the demo CSP', async () => {
  const frenchBrowser = (page) => page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'language', { get: () => 'fr-FR', configurable: true });
  });
  const cases = [
    ['', frenchBrowser, 'fr'],
    ['?lang=en', frenchBrowser, 'en'],
    ['', undefined, 'en'],
  ];
  for (const [query, beforeLoad, expected] of cases) {
    const first = requests.length;
    const pageRequests = [];
    const { page, errors } = await openExplainer(query, {
      base: servedBase,
      beforeLoad: async (p) => {
        p.on('request', (req) => pageRequests.push(req.url()));
        await beforeLoad?.(p);
      },
    });
    assert.equal(await page.getAttribute('html', 'lang'), expected, `served${query} lang`);
    assert.ok(await page.isVisible(`main > article[lang="${expected}"] h1`));
    assert.ok(await page.isHidden(`main > article[lang="${OTHER[expected]}"]`));
    await page.fill(`#${expected}-name`, 'Test Person');
    assert.ok((await page.inputValue(`#${expected}-letter-text`)).includes('Test Person'));
    assert.deepEqual(errors, []);
    await page.close();
    // The page asks only the server it came from; nothing in the browser leaves the machine
    // (the extension's own worker may load its WebAssembly meanwhile).
    assert.deepEqual(pageRequests.filter((u) => !u.startsWith(servedBase)), [], 'the served explainer asked another server');
    const offMachine = requests.slice(first).filter((u) => !u.startsWith(servedBase) && !u.startsWith(extBase));
    assert.deepEqual(offMachine, [], 'requests off this machine');
  }
});
