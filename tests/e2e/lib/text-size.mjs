// Runs in a page: the visible text under 16 px that people are meant to read. Body text,
// labels, buttons, list items and paragraphs count; captions, hints and fine print (smaller on
// purpose, and said so by their class or tag) do not. Returns ["tag#id.class 12px: text"].
export const SMALL_TEXT = `(() => {
  const FINE_PRINT = '.hint, .source, .locked-note, .forced-note, .removed-note, #timing, #counts-note, #engine-details, figcaption, small, cite, .toc, .lang-switch, #dialog-why, #dialog-why-location, .blocked, .forced, button.small, summary';
  const out = [];
  const body = parseFloat(getComputedStyle(document.body).fontSize);
  if (body < 16) out.push('body ' + body + 'px');
  for (const el of document.querySelectorAll('p, li, label, button, dd, dt, td, th, legend, h1, h2, h3')) {
    if (el.closest(FINE_PRINT) || el.getClientRects().length === 0 || !el.textContent.trim()) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const size = parseFloat(style.fontSize);
    if (size < 16) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + size + 'px: ' + el.textContent.trim().slice(0, 40));
  }
  return out;
})()`;
