// Runs in the PAGE's world at document_start, before the page's own scripts, on the same
// sites as sensor.js. It reaches what an isolated content script cannot see:
//  - file inputs never attached to the document, opened with .click() or .showPicker():
//    their events never reach window, so sensor.js is told about the input and listens on it;
//  - window.showOpenFilePicker(): the chosen files are handed to sensor.js on a detached
//    carrier input and the page gets handles to the files the user decided on.
// It never reads file contents and holds no secrets: the page can see and call all of this.
(() => {
  'use strict';
  // Event names shared with sensor.js. Nodes cross worlds as MouseEvent.relatedTarget.
  const NOTICE_INPUT = 'beforeyoupost:watch-input';
  const NOTICE_CARRIER = 'beforeyoupost:carrier';
  const CARRIER_DONE = 'beforeyoupost:carrier-done';

  const dispatch = EventTarget.prototype.dispatchEvent;
  const notice = (type, node) => {
    dispatch.call(window, new MouseEvent(type, { relatedTarget: node }));
  };

  const isDetachedFileInput = (el) =>
    el instanceof HTMLInputElement && el.type === 'file' && !el.isConnected;

  for (const name of ['click', 'showPicker']) {
    const original = HTMLInputElement.prototype[name];
    if (typeof original !== 'function') continue;
    const patched = {
      [name]() {
        if (isDetachedFileInput(this)) notice(NOTICE_INPUT, this);
        return original.apply(this, arguments);
      },
    }[name];
    Object.defineProperty(HTMLInputElement.prototype, name, {
      value: patched, writable: true, configurable: true, enumerable: false,
    });
  }

  const nativeOpenPicker = window.showOpenFilePicker;
  if (typeof nativeOpenPicker === 'function') {
    // Handles whose getFile() returns the file the user decided on. Names and kinds are kept.
    const handleFor = (original, file) => Object.create(Object.getPrototypeOf(original), {
      kind: { value: 'file', enumerable: true },
      name: { value: file.name, enumerable: true },
      getFile: { value: async () => file },
      isSameEntry: { value: (other) => original.isSameEntry(other) },
      queryPermission: { value: (d) => original.queryPermission(d) },
      requestPermission: { value: (d) => original.requestPermission(d) },
      createWritable: { value: (o) => original.createWritable(o) },
    });

    const held = async function showOpenFilePicker(options) {
      const handles = await nativeOpenPicker.call(window, options);
      const files = await Promise.all(handles.map((h) => h.getFile()));
      const carrier = document.createElement('input');
      carrier.type = 'file';
      carrier.multiple = true;
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(f);
      carrier.files = dt.files;
      const decided = new Promise((resolve) => {
        carrier.addEventListener(CARRIER_DONE, () => resolve(carrier.dataset.outcome), { once: true });
      });
      notice(NOTICE_CARRIER, carrier);
      // sensor.js marks the carrier when it takes it; if nobody did (no image among the files, or
      // the content script is gone after an update), the page gets its handles untouched.
      if (carrier.dataset.accepted !== 'yes') return handles;
      const outcome = await decided;
      if (outcome === 'cancel') throw new DOMException('The user aborted a request.', 'AbortError');
      const chosen = Array.from(carrier.files);
      const replaced = new Set((carrier.dataset.replaced || '').split(',').filter(Boolean).map(Number));
      return handles.map((h, i) => (replaced.has(i) && chosen[i] ? handleFor(h, chosen[i]) : h));
    };
    Object.defineProperty(window, 'showOpenFilePicker', {
      value: held, writable: true, configurable: true, enumerable: true,
    });
  }
})();
