// For the warning's specs (Chromium and Firefox): what people read, and what the masks cover.

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

// Runs in a page: ([a, b, boxes, photo, size]) -> for each box [x, y, w, h] (photo pixels,
// shrunk by a fifth on each side to leave out outlines and number tags), the mean absolute and
// signed difference per channel between images a and b (data: URLs or base64 JPEGs) drawn at
// `size`.
export const INSIDE_DIFFS = `async ([a, b, boxes, photo, size]) => {
  const pixels = async (src) => {
    const blob = src.startsWith('data:') ? await (await fetch(src)).blob()
      : new Blob([Uint8Array.from(atob(src), (c) => c.charCodeAt(0))], { type: 'image/jpeg' });
    const bitmap = await createImageBitmap(blob, { resizeWidth: size.width, resizeHeight: size.height, resizeQuality: 'high' });
    const ctx = new OffscreenCanvas(size.width, size.height).getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, size.width, size.height).data;
  };
  const [x, y] = [await pixels(a), await pixels(b)];
  const s = size.width / photo.width;
  return boxes.map(([bx, by, bw, bh]) => {
    const [x0, y0] = [Math.round((bx + bw / 5) * s), Math.round((by + bh / 5) * s)];
    const [x1, y1] = [Math.round((bx + bw * 4 / 5) * s), Math.round((by + bh * 4 / 5) * s)];
    let sum = 0;
    let signed = 0;
    let n = 0;
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const k = (yy * size.width + xx) * 4;
        for (let c = 0; c < 3; c++) {
          sum += Math.abs(x[k + c] - y[k + c]);
          signed += y[k + c] - x[k + c];
        }
        n += 3;
      }
    }
    return n ? { abs: sum / n, signed: signed / n } : { abs: 0, signed: 0 };
  });
}`;
