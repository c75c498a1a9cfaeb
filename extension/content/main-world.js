// Runs in the PAGE's world at document_start, before the page's own scripts, on the same
// sites as sensor.js (every frame, about:blank and srcdoc frames included). It reaches what an
// isolated content script cannot see:
//  - file inputs never attached to the document, opened by any click path (click(),
//    showPicker(), a synthetic click event, another frame's prototypes): their events never
//    reach window, so sensor.js is told about the input and listens on it;
//  - window.showOpenFilePicker(): the call is handed to sensor.js, which opens the chooser in
//    its own world, holds the pick there and hands back only what the user decided.
// It never touches the picked files before the decision and holds no secrets. What it hands to
// sensor.js travels as events on a node that is never attached to the document (the link).
//
// A page may replace any built-in after this script ran (Function.prototype.call, array
// iteration, Promise.prototype.then, property getters...). So every built-in used after start
// is captured now, and called through a bound function (no lookup on any prototype), with
// null-prototype option bags, without iteration or array methods, and with no promise or
// file of a pick ever existing in this world before the decision.
(() => {
  'use strict';
  // Event names shared with sensor.js. Nodes cross worlds as MouseEvent.relatedTarget.
  const LINK = 'beforeyoupost:link';
  const HELLO = 'beforeyoupost:hello';
  const LINKED = 'beforeyoupost:linked';
  const NOTICE_INPUT = 'beforeyoupost:watch-input';
  const NOTICE_PICKER = 'beforeyoupost:picker';
  const PICKER_DONE = 'beforeyoupost:picker-done';

  // --- natives, captured before any page script -------------------------------------------------
  const { bind, call } = Function.prototype;
  // uncurry(f)(self, a, b) runs f with `this` = self: a bound Function.prototype.call, whose
  // invocation looks nothing up.
  const uncurry = (fn) => bind.call(call, fn);
  const reflectApply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const objectCreate = Object.create;
  const descriptor = Object.getOwnPropertyDescriptor;
  const getter = (proto, name) => uncurry(descriptor(proto, name).get);
  const ProxyNative = Proxy;
  const PromiseNative = Promise;
  const { MouseEvent: MouseEventNative, DOMException: DOMExceptionNative } = window;
  const weakGet = uncurry(WeakMap.prototype.get);
  const weakSet = uncurry(WeakMap.prototype.set);
  const functionToString = Function.prototype.toString;
  const sourceOf = uncurry(functionToString);

  const dispatch = uncurry(EventTarget.prototype.dispatchEvent);
  const listen = uncurry(EventTarget.prototype.addEventListener);
  const unlisten = uncurry(EventTarget.prototype.removeEventListener);
  const createElement = uncurry(Document.prototype.createElement);
  const setAttribute = uncurry(Element.prototype.setAttribute);
  const getAttribute = uncurry(Element.prototype.getAttribute);
  const isConnected = getter(Node.prototype, 'isConnected');
  const inputType = getter(HTMLInputElement.prototype, 'type');
  const inputFiles = getter(HTMLInputElement.prototype, 'files');
  const eventType = getter(Event.prototype, 'type');
  const eventDetail = getter(CustomEvent.prototype, 'detail');
  const stringify = JSON.stringify;
  const theDocument = document;
  const theWindow = window;
  const FunctionProto = Function.prototype;
  const ElementProto = HTMLElement.prototype;
  const InputProto = HTMLInputElement.prototype;
  const TargetProto = EventTarget.prototype;
  const handleProto = globalThis.FileSystemFileHandle?.prototype ?? null;

  // --- wrapped built-ins look native ---------------------------------------------------------
  // Each wrapper is a Proxy of the native function (same name and length), and toString shows
  // the native's source for it: a page cannot tell the extension is installed by reading them.
  const nativeSource = new WeakMap();
  const proxyOf = (native, trap) => {
    const proxy = new ProxyNative(native, { __proto__: null, apply: trap });
    weakSet(nativeSource, proxy, sourceOf(native));
    return proxy;
  };
  const replace = (owner, name, trap) => {
    const native = owner[name];
    if (typeof native !== 'function') return null;
    defineProperty(owner, name, {
      __proto__: null, value: proxyOf(native, trap), writable: true, configurable: true, enumerable: false,
    });
    return native;
  };
  replace(FunctionProto, 'toString', (target, self, args) => {
    const source = weakGet(nativeSource, self);
    return source !== undefined ? source : reflectApply(target, self, args);
  });

  // --- the link ---------------------------------------------------------------------------------
  const link = createElement(theDocument, 'span');
  let linked = false;
  const offer = () => {
    if (!linked) dispatch(theWindow, new MouseEventNative(LINK, { __proto__: null, relatedTarget: link }));
  };
  const onHello = () => offer();
  listen(link, LINKED, () => {
    linked = true;
    unlisten(theWindow, HELLO, onHello, true);
  }, { __proto__: null, once: true });
  // sensor.js ran first (it listens for LINK) or runs next (it says HELLO).
  listen(theWindow, HELLO, onHello, true);
  offer();

  // Tells sensor.js about `node`; true when it took the node (it called preventDefault).
  const notice = (type, node) =>
    !dispatch(link, new MouseEventNative(type, { __proto__: null, relatedTarget: node, cancelable: true }));

  const isDetachedFileInput = (el) => {
    try {
      return inputType(el) === 'file' && !isConnected(el);
    } catch {
      return false; // not an <input> (the getter checks the receiver)
    }
  };
  const watchDetached = (el) => {
    if (linked && isDetachedFileInput(el)) notice(NOTICE_INPUT, el);
  };

  // --- every way a detached input's chooser opens ------------------------------------------------
  // click() lives on HTMLElement.prototype; showPicker() on HTMLInputElement.prototype; a
  // synthetic click event reaches the input through dispatchEvent. Other frames of the page run
  // this script too (about:blank and srcdoc frames included), so their prototypes are covered.
  replace(ElementProto, 'click', (target, self, args) => {
    watchDetached(self);
    return reflectApply(target, self, args);
  });
  replace(InputProto, 'showPicker', (target, self, args) => {
    watchDetached(self);
    return reflectApply(target, self, args);
  });
  replace(TargetProto, 'dispatchEvent', (target, self, args) => {
    if (linked && args.length > 0) {
      try {
        if (eventType(args[0]) === 'click') watchDetached(self);
      } catch { /* not an Event: the native call below throws as it should */ }
    }
    return reflectApply(target, self, args);
  });

  // --- showOpenFilePicker -------------------------------------------------------------------------
  // The picker's promise, its handles and its files would be page-world objects here: a page
  // that hooks `then` or the array's prototype would see them as they resolve. So sensor.js opens
  // the chooser in its own world (the user's click is still active: this all runs in the page's
  // call), holds the pick, and hands back only the decided handles and files.
  const handleFor = (proto, file) => objectCreate(proto, {
    __proto__: null,
    kind: { __proto__: null, value: 'file', enumerable: true },
    name: { __proto__: null, value: file.name, enumerable: true },
    getFile: { __proto__: null, value: async () => file },
    isSameEntry: { __proto__: null, value: async function isSameEntry(other) { return other === this; } },
    queryPermission: { __proto__: null, value: async () => 'granted' },
    requestPermission: { __proto__: null, value: async () => 'granted' },
  });

  replace(theWindow, 'showOpenFilePicker', (target, self, args) => {
    if (!linked) return reflectApply(target, self, args);
    let options;
    try {
      options = args.length > 0 && args[0] !== undefined ? stringify(args[0]) : 'null';
    } catch {
      return reflectApply(target, self, args); // the native call rejects such options itself
    }
    const carrier = createElement(theDocument, 'input');
    setAttribute(carrier, 'type', 'file');
    setAttribute(carrier, 'data-options', typeof options === 'string' ? options : 'null');
    return new PromiseNative((resolve, reject) => {
      listen(carrier, PICKER_DONE, (event) => {
        // detail: { outcome: 'release' | 'cancel' | 'error', handles, error: { name, message } }.
        // `handles` are the picked handles, or null where the decided file is a new copy, read
        // from the carrier's files at the same index.
        const d = eventDetail(event);
        const outcome = getAttribute(carrier, 'data-outcome');
        if (outcome === 'release' && d !== null && typeof d === 'object') {
          const files = inputFiles(carrier);
          const handles = d.handles;
          const n = handles.length;
          const out = [];
          for (let i = 0; i < n; i++) {
            const h = handles[i];
            out[i] = h !== null ? h : handleFor(handleProto, files[i]);
          }
          resolve(out);
        } else if (outcome === 'error' && d !== null && typeof d === 'object') {
          reject(new DOMExceptionNative(String(d.message), String(d.name)));
        } else {
          reject(new DOMExceptionNative('The user aborted a request.', 'AbortError'));
        }
      }, { __proto__: null, once: true });
      if (!notice(NOTICE_PICKER, carrier)) {
        // sensor.js did not take it (switched off on this site, or orphaned by an update).
        resolve(reflectApply(target, self, args));
      }
    });
  });
})();
