// Runs in the PAGE's world at document_start, before the page's own scripts, on the same
// sites as sensor.js. It reaches what an isolated content script cannot see:
//  - file inputs never attached to the document, opened with .click() or .showPicker():
//    their events never reach window, so sensor.js is told about the input and listens on it;
//  - window.showOpenFilePicker(): the chosen files are handed to sensor.js on a detached
//    carrier input and the page gets handles to the files the user decided on.
// It never reads file contents and holds no secrets. What it hands to sensor.js travels as
// events on a node that is never attached to the document (the link): a page listener cannot
// hear them, and the page has no reference to the link or to a carrier. The natives it relies
// on are taken before any page script can replace them.
(() => {
  'use strict';
  // Event names shared with sensor.js. Nodes cross worlds as MouseEvent.relatedTarget.
  const LINK = 'beforeyoupost:link';
  const HELLO = 'beforeyoupost:hello';
  const LINKED = 'beforeyoupost:linked';
  const NOTICE_INPUT = 'beforeyoupost:watch-input';
  const NOTICE_CARRIER = 'beforeyoupost:carrier';
  const CARRIER_DONE = 'beforeyoupost:carrier-done';

  const dispatch = EventTarget.prototype.dispatchEvent;
  const listen = EventTarget.prototype.addEventListener;
  const unlisten = EventTarget.prototype.removeEventListener;
  const createElement = Document.prototype.createElement;
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const setter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).set;
  const isConnected = getter(Node.prototype, 'isConnected');
  const inputType = getter(HTMLInputElement.prototype, 'type');
  const setInputType = setter(HTMLInputElement.prototype, 'type');
  const inputFiles = getter(HTMLInputElement.prototype, 'files');
  const setInputFiles = setter(HTMLInputElement.prototype, 'files');
  const transferItems = getter(DataTransfer.prototype, 'items');
  const transferFiles = getter(DataTransfer.prototype, 'files');
  const addItem = DataTransferItemList.prototype.add;
  const datasetOf = getter(HTMLElement.prototype, 'dataset');
  const getFile = globalThis.FileSystemFileHandle?.prototype.getFile;
  const { MouseEvent: MouseEventNative, DataTransfer: DataTransferNative, DOMException: DOMExceptionNative } = window;
  const { from: arrayFrom } = Array;

  // --- the link ---------------------------------------------------------------------------------
  const link = createElement.call(document, 'span');
  let linked = false;
  const offer = () => {
    if (!linked) dispatch.call(window, new MouseEventNative(LINK, { relatedTarget: link }));
  };
  const onHello = () => offer();
  listen.call(link, LINKED, () => {
    linked = true;
    unlisten.call(window, HELLO, onHello, true);
  }, { once: true });
  // sensor.js ran first (it listens for LINK) or runs next (it says HELLO).
  listen.call(window, HELLO, onHello, true);
  offer();

  const notice = (type, node, cancelable = false) =>
    dispatch.call(link, new MouseEventNative(type, { relatedTarget: node, cancelable }));

  const isDetachedFileInput = (el) =>
    el instanceof HTMLInputElement && inputType.call(el) === 'file' && !isConnected.call(el);

  for (const name of ['click', 'showPicker']) {
    const original = HTMLInputElement.prototype[name];
    if (typeof original !== 'function') continue;
    const patched = {
      [name]() {
        if (linked && isDetachedFileInput(this)) notice(NOTICE_INPUT, this);
        return original.apply(this, arguments);
      },
    }[name];
    Object.defineProperty(HTMLInputElement.prototype, name, {
      value: patched, writable: true, configurable: true, enumerable: false,
    });
  }

  const nativeOpenPicker = window.showOpenFilePicker;
  if (typeof nativeOpenPicker === 'function' && typeof getFile === 'function') {
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
      if (!linked) return handles;
      const files = [];
      for (const h of handles) files.push(await getFile.call(h));
      const carrier = createElement.call(document, 'input');
      setInputType.call(carrier, 'file');
      const dt = new DataTransferNative();
      for (const f of files) addItem.call(transferItems.call(dt), f);
      setInputFiles.call(carrier, transferFiles.call(dt));
      const decided = new Promise((resolve) => {
        listen.call(carrier, CARRIER_DONE, () => resolve(datasetOf.call(carrier).outcome), { once: true });
      });
      // sensor.js takes the carrier (cancels the notice) when it holds the pick; if it did not
      // (no image among the files, the site switched off), the page gets its handles untouched.
      if (notice(NOTICE_CARRIER, carrier, true)) return handles;
      const outcome = await decided;
      if (outcome === 'cancel') throw new DOMExceptionNative('The user aborted a request.', 'AbortError');
      const chosen = arrayFrom(inputFiles.call(carrier));
      const replaced = new Set((datasetOf.call(carrier).replaced || '').split(',').filter(Boolean).map(Number));
      return handles.map((h, i) => (replaced.has(i) && chosen[i] ? handleFor(h, chosen[i]) : h));
    };
    Object.defineProperty(window, 'showOpenFilePicker', {
      value: held, writable: true, configurable: true, enumerable: true,
    });
  }
})();
