// The guard client: the one implementation of the protocol with the guard page (pages/guard.html),
// used by the content script (content/sensor.js) and by the classroom demo's mock composer
// (pages/demo.js). It owns the frame's port, the handshake, the timeouts and the heartbeat; the
// caller says where the frame goes (mount), how the port is vouched for (handshake) and how to
// tell the user (notify). A classic script, so content scripts can load it from the manifest and
// pages with a <script> tag; it defines globalThis.beforeYouPostGuardClient.
//
// Protocol over the MessagePort (every message an object with `type`):
//   client -> guard: check { id, files: [{ index, file, kind }], context }, shown { id }, abort { id },
//                    ping { seq }, seen { seq, ok } (the answer to confirm)
//   guard -> client: ready, pong { seq }, verdict { id, warn, auto, fixing, notices },
//                    show { id }, hide { id }, fixing { id }, decision { id, action, files, notices }
//                    (files: [{ index, file }] or, for a video, [{ index, edits: [{ offset, bytes: Blob }] }]),
//                    unseen { id } (the warning cannot be seen: the page hides or covers it),
//                    confirm { id, seq } (a choice was made: is the warning still plainly visible?)
(() => {
  'use strict';
  if (globalThis.beforeYouPostGuardClient) return;

  // The heartbeat while a photo is held: a ping this often, and a guard that leaves one
  // unanswered for HEARTBEAT_GRACE_MS is gone (crashed, navigated, unloaded by an update).
  const HEARTBEAT_MS = 200;
  const HEARTBEAT_GRACE_MS = 800;

  // options:
  //   url              the guard page
  //   mount(frame)     puts the frame on the page, hidden; returns { show(), hide(), remove(),
  //                    connected(), interfered() }; interfered() is true once the page has
  //                    removed, moved, restyled, hidden, covered or made inert what it shows
  //   handshake({ frame, port, loaded })  hands `port` to the frame once `loaded` resolves
  //   frameTimeoutMs   the guard must be ready within this
  //   notify(notice)   a notice (a message key, or { key, text } worded by the guard)
  //   copy(file, original)  the File the caller hands on for a protected copy (default: as is)
  //   activeElement()  where focus goes back after the warning (default: document.activeElement)
  //   orphaned()       true once this script's extension is gone (after an update)
  // Which files go to the guard: those the browser calls images or videos, or unnamed types with
  // an image or video name (HEIC often comes without a type). The engine then reads each file's
  // own bytes to tell what it really is (meta::sniff); SVG is a document, not a photo.
  const IMAGE_EXT = /\.(jpe?g|jfif|pjpeg|png|apng|webp|gif|avif|heic|heif|tiff?|bmp)$/i;
  const VIDEO_EXT = /\.(mp4|mov|m4v|webm|mkv|3gp)$/i;
  const unnamed = (file) => file.type === '' || file.type === 'application/octet-stream';
  function isImage(file) {
    if (file.type === 'image/svg+xml') return false;
    if (file.type.startsWith('image/')) return true;
    return unnamed(file) && IMAGE_EXT.test(file.name);
  }
  function isVideo(file) {
    return file.type.startsWith('video/') || (unnamed(file) && VIDEO_EXT.test(file.name));
  }
  // 'image', 'video', or null for a file that is neither (it travels untouched).
  const kindOf = (file) => (isImage(file) ? 'image' : isVideo(file) ? 'video' : null);

  // A copy of `original` with `edits` ([{ offset, bytes }]: same-size runs of bytes, as Blobs,
  // from the engine, that remove a video's location) laid over it, made of slices of the original
  // and the edits' own bytes (read here, as ownCopy does: Firefox refuses the page objects that
  // belong to the extension): a big video is never read into memory. Throws on an edit that
  // does not fit.
  async function spliced(original, edits) {
    const parts = [];
    let at = 0;
    for (const { offset, bytes } of [...edits].sort((a, b) => a.offset - b.offset)) {
      if (!Number.isSafeInteger(offset) || !(bytes instanceof Blob) || offset < at || offset + bytes.size > original.size) {
        throw new Error('an edit does not fit the file');
      }
      parts.push(original.slice(at, offset), new Uint8Array(await bytes.arrayBuffer()));
      at = offset + bytes.size;
    }
    parts.push(original.slice(at));
    return new File(parts, original.name, { type: original.type, lastModified: original.lastModified });
  }

  function create(options) {
    const {
      url, mount, handshake, frameTimeoutMs, notify,
      copy = async (file) => file,
      activeElement = () => document.activeElement,
      orphaned = () => false,
    } = options;

    const guard = {
      mounted: null,
      frame: null,
      port: null,
      ready: null,
      pending: new Map(),
      nextId: 1,
      ping: { seq: 0, sentAt: 0, answered: true },
      gone: false, // the frame navigated away or its port closed

      // A guard ready to check: the one we have when it is still there (and, with `probe`,
      // answering a ping), else a new one (the page removed it, it crashed or navigated away).
      async connect({ probe = true } = {}) {
        if (this.ready && !this.alive()) this.teardown();
        if (this.ready && !probe) return this.ready;
        if (this.ready) {
          try {
            await this.ready;
            if (await this.answers()) return undefined;
          } catch { /* a failed start: try once more below */ }
          this.teardown();
        }
        if (!this.ready) {
          // A start that fails tears down only itself, not a newer guard made meanwhile.
          const opening = this.open().catch((err) => {
            if (this.ready === opening) this.teardown();
            throw err;
          });
          this.ready = opening;
        }
        return this.ready;
      },

      // One heartbeat round trip, for a guard that has been idle.
      answers() {
        this.beat(true);
        return new Promise((resolve) => {
          const started = performance.now();
          const poll = setInterval(() => {
            if (this.ping.answered || !this.alive() || performance.now() - started > HEARTBEAT_GRACE_MS) {
              clearInterval(poll);
              resolve(this.ping.answered && this.alive());
            }
          }, 10);
        });
      },

      // Called every HEARTBEAT_MS while a photo is held: sends a ping when the last one was
      // answered; false once the guard is gone.
      beat(now = false) {
        if (!this.port || !this.alive()) return false;
        const t = performance.now();
        if (!this.ping.answered) return t - this.ping.sentAt < HEARTBEAT_GRACE_MS;
        if (now || t - this.ping.sentAt >= HEARTBEAT_MS) {
          this.ping = { seq: this.ping.seq + 1, sentAt: t, answered: false };
          this.port.postMessage({ type: 'ping', seq: this.ping.seq });
        }
        return true;
      },

      open() {
        return new Promise((resolve, reject) => {
          const frame = document.createElement('iframe');
          const channel = new MessageChannel();
          const timer = setTimeout(() => reject(new Error('guard frame did not start')), frameTimeoutMs);
          // Where the browser tells (MessagePort `close`), a guard that is gone is known at once.
          channel.port1.addEventListener('close', () => { if (this.port === channel.port1) this.gone = true; });
          channel.port1.onmessage = (e) => {
            if (e.data?.type === 'ready') {
              clearTimeout(timer);
              resolve();
              return;
            }
            this.onMessage(e.data);
          };
          // The frame's src is set before it is attached, so its first load is the guard page;
          // any later load means it navigated away from us.
          const loaded = new Promise((ok) => frame.addEventListener('load', ok, { once: true }));
          loaded.then(() => frame.addEventListener('load', () => { if (this.frame === frame) this.gone = true; }));
          Promise.resolve(handshake({ frame, port: channel.port2, loaded })).catch(reject);
          frame.src = url;
          const mounted = mount(frame);
          Object.assign(this, { mounted, frame, port: channel.port1, gone: false, ping: { seq: 0, sentAt: 0, answered: true } });
        });
      },

      teardown() {
        this.mounted?.remove();
        this.port?.close();
        Object.assign(this, { mounted: null, frame: null, port: null, ready: null });
        const pending = [...this.pending.values()];
        this.pending.clear();
        for (const p of pending) p.fail(new Error('guard closed'));
      },

      onMessage(msg) {
        if (msg?.type === 'pong') {
          if (msg.seq === this.ping.seq) this.ping.answered = true;
          return;
        }
        // Before a choice counts: is the warning still plainly visible at this moment?
        if (msg?.type === 'confirm') {
          this.port?.postMessage({ type: 'seen', seq: msg.seq, ok: !this.interfered({ deep: true }) });
          return;
        }
        const p = this.pending.get(msg?.id);
        if (!p) return;
        if (msg.type === 'verdict') p.verdict(msg);
        else if (msg.type === 'show') p.show();
        else if (msg.type === 'hide') guard.hide();
        else if (msg.type === 'fixing') p.fixing();
        else if (msg.type === 'decision') p.decision(msg);
        else if (msg.type === 'unseen') p.interfered();
      },

      alive() {
        return Boolean(this.mounted?.connected()) && !this.gone;
      },

      // The page, not our code, broke the guard: removed its host, restyled, hid or covered it.
      interfered(how) {
        return Boolean(this.mounted) && (!this.mounted.connected() || this.mounted.interfered(how));
      },

      show() {
        this.mounted.show();
        this.frame.focus();
      },

      hide() {
        this.mounted?.hide();
      },
    };

    // Asks the guard about `images` ([{ index, file, kind }] of `files`: the photos and videos);
    // resolves to { action:
    // 'release' | 'cancel', files, replaced, notices }, or rejects with { notice } (the caller
    // fails open). The heartbeat runs for the whole hold: if the guard dies at any point (our
    // fault: a crash, an update) the overlay goes at once, and the originals go through (the
    // caller's fail-open) unless a fix had been chosen, in which case nothing does. If the page
    // broke it (removed, hid, covered or restyled it), the pick is withdrawn: nothing is posted
    // and a notice says the site interfered. No clock ends a check that is alive: a slow one
    // shows the progress panel, where the user may attach the photo unchecked or cancel.
    // A dead guard is replaced at the next photo.
    // The check goes out at once (one round trip per photo); a guard found dead before it said
    // anything about it (it died while idle) is replaced and asked once more.
    async function decide(files, images, context, retried = false) {
      await guard.connect({ probe: false });
      const id = guard.nextId++;
      const sentAt = performance.now();
      let heard = false; // the guard answered since the check went out
      return new Promise((resolve, reject) => {
        // checking -> (asking | fixing | deciding) -> done; 'fixing': a fix was chosen.
        let phase = 'checking';
        let focusBefore = null;
        const notices = [];
        const tell = (notice) => {
          notices.push(notice);
          notify(notice);
        };
        const heartbeat = setInterval(() => {
          if (guard.ping.answered && guard.ping.sentAt >= sentAt) heard = true;
          if (guard.interfered()) lost('interfered');
          else if (orphaned() || !guard.beat()) lost('gone');
        }, HEARTBEAT_MS);
        const finish = (fn) => {
          if (phase === 'done') return;
          phase = 'done';
          clearInterval(heartbeat);
          guard.pending.delete(id);
          guard.hide();
          try {
            focusBefore?.focus?.({ preventScroll: true });
          } catch { /* element gone */ }
          fn();
        };
        const lost = (why) => {
          if (phase === 'done') return;
          const fixing = phase === 'fixing';
          try {
            guard.port?.postMessage({ type: 'abort', id });
          } catch { /* port closed */ }
          guard.pending.delete(id); // teardown fails what is pending: not this one again
          guard.teardown();
          if (why === 'interfered') {
            finish(() => {
              tell('noticeSiteInterfered');
              resolve({ action: 'cancel', files, replaced: [], notices });
            });
            return;
          }
          if (why === 'gone' && phase === 'checking' && !heard && !retried && !orphaned()) {
            finish(() => decide(files, images, context, true).then(resolve, reject));
            return;
          }
          if (fixing) {
            finish(() => {
              tell('noticeGuardLostDuringFix');
              resolve({ action: 'cancel', files, replaced: [], notices });
            });
          } else {
            finish(() => reject(Object.assign(new Error(`guard ${why}`), { notice: 'noticeGuardLost' })));
          }
        };
        const show = () => {
          focusBefore ??= activeElement();
          guard.show();
          guard.port.postMessage({ type: 'shown', id });
        };
        guard.pending.set(id, {
          fail: () => lost('gone'),
          interfered: () => lost('interfered'),
          verdict: (msg) => {
            heard = true;
            for (const notice of msg.notices ?? []) tell(notice);
            if (msg.auto) {
              // Decided without asking (settings, policy or a preset decision); when that is a
              // fix, nothing goes through if the guard dies before it is made.
              phase = msg.fixing ? 'fixing' : 'deciding';
              return;
            }
            if (!msg.warn) {
              finish(() => resolve({ action: 'release', files, replaced: [], notices }));
              return;
            }
            phase = 'asking';
            show();
          },
          show, // a fix failed: the warning asks what to do next
          fixing: () => { phase = 'fixing'; },
          decision: async (msg) => {
            try {
              const out = files.slice();
              const replaced = [];
              if (msg.action === 'release') {
                for (const { index, file, edits } of msg.files ?? []) {
                  if (!images.some((im) => im.index === index)) continue;
                  // A video without its location: the original with the engine's edits laid over.
                  if (Array.isArray(edits)) out[index] = await spliced(files[index], edits);
                  else if (file instanceof Blob) out[index] = await copy(file, files[index]);
                  else continue;
                  replaced.push(index);
                }
              }
              for (const notice of msg.notices ?? []) tell(notice);
              finish(() => resolve({ action: msg.action === 'cancel' ? 'cancel' : 'release', files: out, replaced, notices }));
            } catch (err) {
              if (phase === 'fixing') lost('gone');
              else finish(() => reject(err));
            }
          },
        });
        guard.beat(true);
        guard.port.postMessage({ type: 'check', id, files: images, context });
      });
    }

    return {
      connect: () => guard.connect(),
      decide,
      // A guard is there and answering (a warm-up need not open another).
      ready: () => Boolean(guard.ready) && guard.alive(),
    };
  }

  globalThis.beforeYouPostGuardClient = Object.freeze({ create, isImage, isVideo, kindOf, HEARTBEAT_MS, HEARTBEAT_GRACE_MS });
})();
