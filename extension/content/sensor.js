// Content script on the supported social networks (document_start, every frame, isolated
// world). A thin sensor: it notices photos and videos being picked, dropped or pasted, holds the event
// so the page gets nothing yet, and asks the guard (an extension page in a closed shadow root,
// where the wasm engine runs) what to do. Then it gives the page exactly what was decided.
// Never WebAssembly here: strict page CSPs block it in content scripts.
// Fails open: whatever goes wrong, the original files go through with a short notice.
(() => {
  'use strict';
  // Injected twice (manifest + registered script): the first one stays. After an extension
  // update the old one is orphaned, and the copy the new version injects takes over.
  const previous = globalThis.beforeYouPostSensor;
  if (previous && (typeof previous.orphaned !== 'function' || !previous.orphaned())) return;

  const api = globalThis.browser ?? globalThis.chrome;
  const adapter = globalThis.beforeYouPostAdapters.forLocation(location);

  // Shared with main-world.js. LINK and HELLO are only heard at document_start, before any page
  // script runs; everything after travels as events on the private node that LINK hands over.
  const LINK = 'beforeyoupost:link';
  const HELLO = 'beforeyoupost:hello';
  const NOTICE_INPUT = 'beforeyoupost:watch-input';
  const NOTICE_PICKER = 'beforeyoupost:picker';
  const PICKER_DONE = 'beforeyoupost:picker-done';
  // Events the page may observe: a photo is held / released. They say nothing about the photo.
  const PAGE_HELD = 'beforeyoupost:held';
  const PAGE_RELEASED = 'beforeyoupost:released';

  // The guard frame must start within this, or the originals go through (our own fault). A
  // started check has no time limit: the guard's progress panel lets the user decide.
  const FRAME_TIMEOUT_MS = 10000;
  const NOTICE_MS = 7000;
  // "Checked on this device": a quiet sign, not news.
  const QUIET_NOTICE_MS = 3000;
  const QUIET_NOTICES = ['noticeChecked', 'noticeCheckedSmallFaces'];

  // Every listener of this script, so an orphaned copy (the extension was reloaded or updated
  // under it) can remove them all and stop holding.
  const lifetime = new AbortController();
  const listen = (target, type, fn, capture = true) =>
    target.addEventListener(type, fn, { capture, signal: lifetime.signal });
  const orphaned = () => {
    let gone = true;
    try {
      gone = !api.runtime?.id;
    } catch { /* context invalidated */ }
    if (gone) lifetime.abort();
    return gone;
  };

  const GUARD_URL = api.runtime.getURL('pages/guard.html');
  const EXTENSION_ORIGIN = GUARD_URL.slice(0, GUARD_URL.indexOf('/', GUARD_URL.indexOf('//') + 2));

  // `watch`: another frame's sensor hands over a detached input of this document (see
  // onWatchInput). Reachable only from this extension's content scripts, never from the page.
  globalThis.beforeYouPostSensor = Object.freeze({
    orphaned,
    watch: (input) => {
      if (!isFileInput(input) || orphaned()) return;
      watchInput(input);
      warm();
    },
  });

  // --- the private link with main-world.js ----------------------------------------------------
  // main-world.js hands over a node that is never attached to the document: events dispatched
  // on it reach no page listener, so detached inputs and showOpenFilePicker picks travel to us
  // unseen. Whichever script runs second completes the link; the first offer is the only one
  // taken, and both run before any page script.
  // Only a sensor that starts at document_start, before any page script, takes the link: one
  // injected later (after an update, or when a site is enabled from the toolbar; the background
  // marks those) would take whatever the page offers, so it holds only the paths it sees itself
  // (input, drop, paste).
  const atStart = globalThis.beforeYouPostLateInjection !== true;
  let link = null;
  const onLink = (event) => {
    if (link || !atStart || !(event.relatedTarget instanceof Node)) return;
    link = event.relatedTarget;
    window.removeEventListener(LINK, onLink, true);
    listen(link, NOTICE_INPUT, onWatchInput);
    listen(link, NOTICE_PICKER, onPicker);
    link.dispatchEvent(new Event('beforeyoupost:linked'));
  };
  window.addEventListener(LINK, onLink, true);
  window.dispatchEvent(new Event(HELLO));

  const ours = new WeakSet(); // events we dispatched ourselves
  const swallowChange = new WeakSet(); // inputs whose next trusted `change` we hold
  const watched = new WeakSet(); // inputs with their own listeners (detached or in shadow trees)

  // This site switched off, or "don't ask again" chosen here (settings.js; a policy may force
  // checking). Until the settings are read, photos are held.
  const settings = globalThis.beforeYouPostSettings;
  let active = true;
  settings.watch((s) => {
    active = settings.siteOn(s, location.hostname) && !settings.quiet(s, location.hostname);
  });
  const worthHolding = (files) => active && files.some((file) => kindOf(file) !== null);

  const { kindOf } = globalThis.beforeYouPostGuardClient;

  // --- reaching into shadow trees (open or closed) -------------------------------------------
  function shadowOf(el) {
    try {
      if (api.dom?.openOrClosedShadowRoot) return api.dom.openOrClosedShadowRoot(el);
      if ('openOrClosedShadowRoot' in el) return el.openOrClosedShadowRoot; // Firefox
    } catch { /* not an element that can host a shadow root */ }
    return el.shadowRoot ?? null;
  }

  function deepActiveElement() {
    let el = document.activeElement;
    for (let depth = 0; el && depth < 32; depth++) {
      const inner = shadowOf(el)?.activeElement;
      if (!inner) break;
      el = inner;
    }
    return el;
  }

  function deepElementFromPoint(x, y) {
    let el = document.elementFromPoint(x, y);
    for (let depth = 0; el && depth < 32; depth++) {
      const inner = shadowOf(el)?.elementFromPoint(x, y);
      if (!inner || inner === el) break;
      el = inner;
    }
    return el;
  }

  // The event's real target, also when it sits inside a closed shadow tree.
  function deepTarget(event, fallback) {
    const path = event.composedPath();
    const first = path[0];
    if (first instanceof Element && !shadowOf(first)) return first;
    return fallback() ?? first;
  }

  // Not `instanceof`: an input of another frame's document, handed over by that frame's sensor,
  // has that frame's prototypes.
  const isFileInput = (el) => el?.nodeType === Node.ELEMENT_NODE && el.namespaceURI === 'http://www.w3.org/1999/xhtml'
    && el.localName === 'input' && el.type === 'file';
  const fileKey = (files) => Array.from(files, (f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
  // What each input showed the page before the current pick: while a pick is held, and after a
  // cancel, the input shows exactly that again, so the page cannot read the held photo from
  // `input.files` (many sites read it on window `focus` when the chooser closes).
  const pageFiles = new WeakMap();
  const noFiles = () => new DataTransfer().files;

  // The file input behind a trusted input/change event: the target itself, or, inside a closed
  // shadow tree, the input there whose files just changed.
  function fileInputOf(event) {
    const first = event.composedPath()[0];
    if (isFileInput(first)) return first;
    if (isFileInput(event.currentTarget)) return event.currentTarget;
    // Typing fires InputEvents on every keystroke; a file input's is a plain Event. Only the
    // latter is worth searching a closed shadow tree for.
    if (event instanceof InputEvent) return null;
    const host = event.target instanceof Element ? event.target : null;
    if (!host || !shadowOf(host)) return null;
    const found = [];
    const visit = (root, depth) => {
      if (!root || depth > 16) return;
      for (const el of root.querySelectorAll('*')) {
        if (isFileInput(el) && el.files?.length && fileKey(pageFiles.get(el) ?? []) !== fileKey(el.files)) found.push(el);
        const inner = shadowOf(el);
        if (inner) visit(inner, depth + 1);
      }
    };
    visit(shadowOf(host), 0);
    return found.length === 1 ? found[0] : null;
  }

  function fire(target, event) {
    ours.add(event);
    return target.dispatchEvent(event);
  }

  // --- the guard frame -----------------------------------------------------------------------
  // One hidden extension iframe per document, created on first need (or when a pick is about to
  // happen) inside a closed shadow root the page cannot reach. The protocol, timeouts and
  // heartbeat live in content/guard-client.js, shared with the classroom demo.
  const guard = globalThis.beforeYouPostGuardClient.create({
    url: GUARD_URL,
    frameTimeoutMs: FRAME_TIMEOUT_MS,
    orphaned,
    notify: (notice) => notify(notice),
    copy: ownCopy,
    activeElement: deepActiveElement,
    mount(frame) {
      // A modal <dialog>: shown, it sits in the top layer, above everything the page drew
      // before, and the page beneath is inert while the user decides.
      const host = document.createElement('dialog');
      // A <dialog> cannot host a shadow root: the frame sits in a closed one on a <div> inside.
      const inner = document.createElement('div');
      const root = inner.attachShadow({ mode: 'closed' });
      // Styles set through CSSOM: a page's style-src CSP would block a <style> element.
      const HOST_STYLE = {
        all: 'initial', position: 'fixed', inset: '0', width: '100%', height: '100%', 'max-width': 'none',
        'max-height': 'none', margin: '0', padding: '0', border: '0', background: 'transparent',
        'z-index': '2147483647', display: 'none', opacity: '1', visibility: 'visible', overflow: 'hidden',
      };
      setStyles(host, HOST_STYLE);
      setStyles(inner, { all: 'initial', display: 'block', width: '100%', height: '100%', opacity: '1', visibility: 'visible' });
      const innerStyle = inner.getAttribute('style');
      host.append(inner);
      // Escape inside the dialog would close it behind the guard's back: the guard's own
      // Escape (Cancel) decides instead.
      host.addEventListener('cancel', (e) => e.preventDefault());
      frame.setAttribute('title', message('guardFrameTitle'));
      frame.setAttribute('allow', '');
      setStyles(frame, {
        width: '100%', height: '100%', border: '0', display: 'block', background: 'transparent', 'color-scheme': 'normal',
      });
      root.append(frame);
      (document.documentElement ?? document).append(host);
      let shown = false;
      let styleWhenSet = host.getAttribute('style');
      const restyle = (styles) => {
        setStyles(host, styles);
        styleWhenSet = host.getAttribute('style');
      };
      return {
        show() {
          restyle({ display: 'block' });
          shown = true;
          try {
            if (!host.open) host.showModal();
          } catch { /* not allowed here (another modal of ours?): fixed at the top z-index */ }
        },
        hide() {
          shown = false;
          try {
            host.close();
          } catch { /* already closed */ }
          restyle({ display: 'none' });
        },
        remove: () => host.remove(),
        connected: () => host.isConnected,
        interfered: ({ deep = false } = {}) => shown && (!plainlyVisible(host, styleWhenSet)
          || (deep && topLayerInShadows(host))
          || inner.parentNode !== host || host.childNodes.length !== 1 || inner.getAttribute('style') !== innerStyle
          || inner.attributes.length !== 1),
      };
    },
    // The port is only trusted once the background vouches for a one-use nonce we registered:
    // the page can post a port to the frame too, but cannot know the nonce.
    async handshake({ frame, port, loaded }) {
      const nonce = crypto.randomUUID();
      // Once more if the service worker was stopped midway (it restarts for the next message).
      const register = () => api.runtime.sendMessage({ type: 'guard-register', nonce }).then((answer) => {
        if (answer?.ok !== true) throw new Error(`guard-register: ${JSON.stringify(answer)}`);
      });
      await Promise.all([loaded, register().catch(register)]);
      frame.contentWindow.postMessage({ beforeYouPost: 'connect', nonce }, EXTENSION_ORIGIN, [port]);
    },
  });

  // What the user sees of the warning is what the page left of it: its host must still be where
  // we put it, styled as we styled it, open in the top layer, not inert, not transparent, and
  // the topmost thing at points across the viewport. (Chromium also checks, from inside the
  // frame, that nothing covers or fades it: IntersectionObserver's trackVisibility.)
  function plainlyVisible(host, style) {
    if (!host.isConnected || host.parentNode !== (document.documentElement ?? document)) return false;
    if (host.getAttribute('style') !== style) return false;
    for (const { name } of host.attributes) if (name !== 'style' && name !== 'open') return false;
    if (!host.open || host.inert || host.closest('[inert]')) return false;
    // Anything the page put in the top layer after us sits above the warning, even when it
    // lets clicks through (which elementFromPoint below cannot see).
    try {
      for (const el of document.querySelectorAll(':popover-open, :modal, :fullscreen')) if (el !== host) return false;
    } catch { /* a selector this engine does not know */ }
    if (typeof host.checkVisibility === 'function'
      && !host.checkVisibility({ opacityProperty: true, visibilityProperty: true, contentVisibilityAuto: true })) return false;
    for (let el = host; el; el = el.parentElement) {
      const css = getComputedStyle(el);
      if (Number(css.opacity) < 1 || css.filter !== 'none' || css.clipPath !== 'none' || css.maskImage !== 'none') return false;
    }
    const w = innerWidth;
    const h = innerHeight;
    for (const [fx, fy] of [[0.5, 0.5], [0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]]) {
      const hit = document.elementFromPoint(w * fx, h * fy);
      if (hit !== host && hit?.parentNode !== host) return false;
    }
    return true;
  }

  // When a choice is made (not at every heartbeat: it walks the whole document): anything the
  // page put in the top layer from inside a shadow tree, open or closed, which the document-level
  // scan above cannot see.
  function topLayerInShadows(host) {
    const TOP = ':popover-open, :modal, :fullscreen';
    let budget = 200000; // elements; a page bigger than this is not walked further
    const walk = (root, depth) => {
      if (depth > 32) return false;
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
      for (let el = walker.nextNode(); el && budget-- > 0; el = walker.nextNode()) {
        const inner = el === host ? null : shadowOf(el);
        if (!inner) continue;
        try {
          if (inner.querySelector(TOP) !== null) return true;
        } catch { /* a selector this engine does not know */ }
        if (walk(inner, depth + 1)) return true;
      }
      return false;
    };
    return walk(document.documentElement ?? document, 0);
  }

  function setStyles(el, styles) {
    for (const [name, value] of Object.entries(styles)) el.style.setProperty(name, value, 'important');
  }

  // --- notices -------------------------------------------------------------------------------
  let noticeHost = null;
  // A message key, or { text } already worded by the guard in the language of the settings.
  // English fallbacks for an orphaned script, whose i18n is gone with the old extension.
  const FALLBACK = {
    guardFrameTitle: 'Before You Post: photo check',
    noticeUnchecked: 'this photo could not be checked, so it was passed on unchanged.',
    noticeGuardLost: 'the check stopped before a decision, so the photo was passed on unchecked.',
    noticeGuardLostDuringFix: 'the check stopped while making the protected copy, so nothing was posted. Please try again.',
    noticeSiteInterfered: 'this site interfered with the check, so nothing was posted. Pick the photo again to check it.',
  };
  function message(key) {
    try {
      return api.i18n.getMessage(key) || FALLBACK[key] || String(key);
    } catch {
      return FALLBACK[key] ?? String(key);
    }
  }

  function notify(notice) {
    const text = typeof notice?.text === 'string' ? notice.text : message(notice);
    if (!noticeHost?.isConnected) {
      noticeHost = document.createElement('div');
      setStyles(noticeHost, {
        all: 'initial', position: 'fixed', 'z-index': '2147483647', right: '16px', bottom: '16px',
        'max-width': 'min(420px, calc(100vw - 32px))', display: 'block',
      });
      noticeHost.root = noticeHost.attachShadow({ mode: 'closed' });
      (document.documentElement ?? document).append(noticeHost);
    }
    const box = document.createElement('div');
    box.setAttribute('role', 'status');
    setStyles(box, {
      font: '15px/1.4 system-ui, sans-serif', background: '#1f1f1f', color: '#fff', padding: '12px 16px',
      'border-radius': '8px', 'box-shadow': '0 4px 16px rgba(0,0,0,.35)', 'margin-top': '8px', display: 'block',
    });
    box.textContent = `Before You Post: ${text}`;
    noticeHost.root.append(box);
    setTimeout(() => box.remove(), QUIET_NOTICES.includes(notice?.key) ? QUIET_NOTICE_MS : NOTICE_MS);
  }

  // --- holding -------------------------------------------------------------------------------
  // One held upload at a time; later ones wait their turn so each gets its own decision.
  let queue = Promise.resolve();

  function hold(files, context, release) {
    document.dispatchEvent(new CustomEvent(PAGE_HELD));
    queue = queue.then(() => decide(files, context)).then(
      (outcome) => outcome,
      (err) => {
        console.warn('Before You Post: check failed, passing the original files', err);
        try {
          notify(err?.notice ?? 'noticeUnchecked');
        } catch { /* the page removed the notice host: still release */ }
        return { action: 'release', files, replaced: [] };
      },
    ).then((outcome) => {
      try {
        release(outcome);
      } finally {
        document.dispatchEvent(new CustomEvent(PAGE_RELEASED));
      }
    });
  }

  // Asks the guard; resolves to { action: 'release' | 'cancel', files, replaced }, or rejects
  // (hold() fails open).
  function decide(files, context) {
    // Photos and videos are checked; other files travel with them untouched, in their place.
    const images = files.map((file, index) => ({ index, file, kind: kindOf(file) })).filter(({ kind }) => kind !== null);
    return guard.decide(files, images, {
      site: location.hostname,
      audience: adapter.audience(),
      profile: context.profile === true,
      path: context.path,
    });
  }

  // Name, type and date stay the original's, so the copy tells nothing about the choice but
  // its bytes. Own bytes: Firefox refuses page access to objects that belong to the extension.
  async function ownCopy(file, original) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return new File([bytes], original.name, { type: original.type || file.type, lastModified: original.lastModified });
  }

  function filesToTransfer(files, strings = []) {
    const dt = new DataTransfer();
    for (const [type, value] of strings) {
      try {
        dt.setData(type, value);
      } catch { /* type not settable */ }
    }
    for (const f of files) dt.items.add(f);
    return dt;
  }

  // --- path 1 and 2: <input type=file>, attached, in a shadow tree, or detached --------------

  function onFileEvent(event) {
    if (!event.isTrusted || ours.has(event) || orphaned()) return;
    const input = fileInputOf(event);
    if (!input) return;
    if (event.type === 'change') {
      if (swallowChange.has(input)) {
        swallowChange.delete(input);
        event.stopImmediatePropagation();
      }
      return;
    }
    const files = Array.from(input.files ?? []);
    if (!worthHolding(files)) {
      pageFiles.set(input, input.files);
      return;
    }
    event.stopImmediatePropagation();
    // Before any page listener runs (ours is the first capturing listener on window): the
    // input goes back to what it showed before the pick.
    input.files = pageFiles.get(input) ?? noFiles();
    swallowChange.add(input);
    // In a shadow tree `change` does not reach window: catch it on the input itself.
    if (input.getRootNode() !== document) watchInput(input);
    hold(files, { path: 'input', profile: adapter.isProfileInput(input) }, (outcome) => {
      swallowChange.delete(input);
      if (outcome.action === 'cancel') return; // the input still shows what it did before
      input.files = filesToTransfer(outcome.files).files;
      pageFiles.set(input, input.files);
      fire(input, new Event('input', { bubbles: true, composed: true }));
      fire(input, new Event('change', { bubbles: true }));
    });
  }

  function watchInput(input) {
    if (watched.has(input)) return;
    watched.add(input);
    listen(input, 'input', onFileEvent);
    listen(input, 'change', onFileEvent);
  }

  listen(window, 'input', onFileEvent);
  listen(window, 'change', onFileEvent);

  // main-world.js tells us (over the private link) about inputs opened while detached. An input
  // of another document of this page (opened through this frame's prototypes) is held by that
  // document's sensor, so the warning shows where the page is, not in this (maybe hidden) frame.
  function onWatchInput(event) {
    const input = event.relatedTarget;
    if (!isFileInput(input) || orphaned()) return;
    let owner = null;
    try {
      owner = input.ownerDocument?.defaultView?.beforeYouPostSensor ?? null;
    } catch { /* another origin */ }
    if (owner && owner !== globalThis.beforeYouPostSensor && typeof owner.watch === 'function') {
      owner.watch(input);
      return;
    }
    watchInput(input);
    warm();
  }

  // --- path 3: showOpenFilePicker (through main-world.js, over the private link) -------------
  // main-world.js hands over the page's call: a detached carrier input with the options as
  // JSON. We open the chooser here, in this world (the user's click is still active), so the
  // picker's promise, handles and files never exist in the page's world during the hold. Taking
  // the call is answered with preventDefault(); then the carrier gets `data-outcome` and, after
  // a release, the decided files, and PICKER_DONE carries the handles to keep (null where the
  // file is a new copy) or the picker's error.
  const PICKER_STARTS = new Set(['desktop', 'documents', 'downloads', 'music', 'pictures', 'videos']);
  function pickerOptions(json) {
    const raw = JSON.parse(json ?? 'null');
    if (raw === null || typeof raw !== 'object') return undefined;
    const out = {};
    if (typeof raw.multiple === 'boolean') out.multiple = raw.multiple;
    if (typeof raw.excludeAcceptAllOption === 'boolean') out.excludeAcceptAllOption = raw.excludeAcceptAllOption;
    if (typeof raw.id === 'string') out.id = raw.id;
    if (PICKER_STARTS.has(raw.startIn)) out.startIn = raw.startIn;
    if (Array.isArray(raw.types)) out.types = raw.types;
    return out;
  }

  function onPicker(event) {
    const carrier = event.relatedTarget;
    if (!isFileInput(carrier) || carrier.isConnected || orphaned() || !active) return;
    let picked;
    try {
      picked = window.showOpenFilePicker(pickerOptions(carrier.getAttribute('data-options')));
    } catch {
      return; // the page's own call gets the browser's own error
    }
    event.preventDefault();
    const done = (outcome, detail, files = null) => {
      if (files) carrier.files = filesToTransfer(files).files;
      carrier.setAttribute('data-outcome', outcome);
      carrier.dispatchEvent(new CustomEvent(PICKER_DONE, { detail }));
    };
    picked.then(async (handles) => {
      const files = await Promise.all(handles.map((h) => h.getFile()));
      if (!worthHolding(files)) {
        done('release', { handles }, files);
        return;
      }
      hold(files, { path: 'picker', profile: false }, (outcome) => {
        if (outcome.action === 'cancel') {
          done('cancel', null);
          return;
        }
        const kept = handles.map((h, i) => (outcome.replaced.includes(i) ? null : h));
        done('release', { handles: kept }, outcome.files);
      });
    }).catch((err) => done('error', { name: String(err?.name ?? 'AbortError'), message: String(err?.message ?? '') }));
  }

  // --- path 4: drag and drop ------------------------------------------------------------------
  function transferStrings(dt) {
    const strings = [];
    for (const type of dt.types) {
      if (type === 'Files') continue;
      try {
        strings.push([type, dt.getData(type)]);
      } catch { /* not readable */ }
    }
    return strings;
  }

  listen(window, 'drop', (event) => {
    if (!event.isTrusted || ours.has(event) || orphaned()) return;
    const dt = event.dataTransfer;
    const files = Array.from(dt?.files ?? []);
    if (!worthHolding(files)) return;
    const target = deepTarget(event, () => deepElementFromPoint(event.clientX, event.clientY));
    // Dropped straight onto a file input: the browser sets its files and fires change.
    if (isFileInput(target)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const strings = transferStrings(dt);
    const init = {
      bubbles: true, cancelable: true, composed: true,
      clientX: event.clientX, clientY: event.clientY, screenX: event.screenX, screenY: event.screenY,
    };
    hold(files, { path: 'drop', profile: false }, (outcome) => {
      const to = target.isConnected ? target : deepElementFromPoint(event.clientX, event.clientY) ?? document.body;
      if (outcome.action === 'cancel') {
        fire(to, new DragEvent('dragleave', { ...init, dataTransfer: new DataTransfer() }));
        return;
      }
      fire(to, new DragEvent('drop', { ...init, dataTransfer: filesToTransfer(outcome.files, strings) }));
    });
  });

  // Warm the engine when a pick or a drop is about to happen, so the check is quick.
  // At most one new guard a second this way: a page can click its inputs at will (each new
  // guard registers a handshake nonce), while a real pick always gets its guard.
  let lastWarm = -Infinity;
  const warm = () => {
    const now = performance.now();
    if (guard.ready() || now - lastWarm < 1000) return;
    lastWarm = now;
    guard.connect().catch(() => {});
  };
  listen(window, 'dragenter', (event) => {
    if (event.isTrusted && event.dataTransfer?.types?.includes('Files') && !orphaned()) warm();
  });
  // Also untrusted clicks: sites open their hidden input with input.click() from a button.
  listen(window, 'click', (event) => {
    if (orphaned()) return;
    const path = event.composedPath();
    const input = path.find(isFileInput) ?? path.find((n) => n instanceof HTMLLabelElement && isFileInput(n.control))?.control;
    if (!input) return;
    // What the page has in the input as the chooser opens: what it sees again during the hold.
    pageFiles.set(input, input.files);
    warm();
  });

  // --- path 5: paste --------------------------------------------------------------------------
  listen(window, 'paste', (event) => {
    if (!event.isTrusted || ours.has(event) || orphaned()) return;
    const data = event.clipboardData;
    const files = Array.from(data?.files ?? []);
    if (!worthHolding(files)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const target = deepTarget(event, deepActiveElement) ?? document.body;
    const strings = transferStrings(data);
    hold(files, { path: 'paste', profile: false }, (outcome) => {
      if (outcome.action === 'cancel') return;
      const to = target.isConnected ? target : document.body;
      fire(to, new ClipboardEvent('paste', {
        bubbles: true, cancelable: true, composed: true,
        clipboardData: filesToTransfer(outcome.files, strings),
      }));
    });
  });
})();
