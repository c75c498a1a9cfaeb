// What a hostile page does to the extension's warning while it is up, as page scripts (strings
// to evaluate in the page): the page reaches the host element, never the frame inside its closed
// shadow root. Shared by specs/faults.test.mjs and firefox/faults.test.mjs; the extension must
// withdraw the pick (nothing posted) in each case.
const HOSTS = `[...document.documentElement.children].filter((el) => !['HEAD', 'BODY'].includes(el.tagName))`;

// A full-screen page element in the top layer, above the warning, that lets clicks through.
// `inClosedShadow` puts it in a closed shadow root first (the document-level scan cannot see it there).
export const coverScript = ({ inClosedShadow = false } = {}) => `(() => {
    const cover = document.createElement('div');
    cover.popover = 'manual';
    cover.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;margin:0;border:0;background:#fff;pointer-events:none';
    cover.textContent = 'Nothing to see here';
    ${inClosedShadow
    ? "const holder = document.createElement('div'); document.body.append(holder); holder.attachShadow({ mode: 'closed' }).append(cover);"
    : 'document.body.append(cover);'}
    cover.showPopover();
  })()`;

export const INTERFERENCES = {
  'removes the host': `${HOSTS}.forEach((el) => el.remove())`,
  'hides the host (display: none)': `${HOSTS}.forEach((el) => el.style.setProperty('display', 'none', 'important'))`,
  'makes the host transparent (opacity: 0)': `${HOSTS}.forEach((el) => el.style.setProperty('opacity', '0', 'important'))`,
  'moves the host off screen': `${HOSTS}.forEach((el) => el.style.setProperty('left', '-10000px', 'important'))`,
  'makes the host inert': `${HOSTS}.forEach((el) => { el.inert = true; })`,
  'closes the host dialog': `${HOSTS}.forEach((el) => el.close?.())`,
  'fades the whole page (html opacity)': `document.documentElement.style.setProperty('opacity', '0.02', 'important')`,
  'covers it with its own top-layer element that lets clicks through': coverScript(),
};

// Undoes what the interferences did to the page's own <html> (the host goes with the pick).
export const UNDO = "document.documentElement.style.removeProperty('opacity'); document.querySelectorAll('[popover]').forEach((el) => el.remove())";
