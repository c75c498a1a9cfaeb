// TEST-ONLY content script (added by the test build, never shipped): asks the background for
// the engine info, as a real content script would, and leaves the answers in the page's DOM
// for the spec to read.
(async () => {
  const api = globalThis.browser ?? globalThis.chrome;
  const ask = async (message) => {
    try {
      return await api.runtime.sendMessage(message);
    } catch (err) {
      return { probe_error: String(err) };
    }
  };
  const root = document.documentElement;
  root.dataset.bypProbeUnknown = JSON.stringify(await ask({ type: 'no-such-message' }));
  root.dataset.bypProbe = JSON.stringify(await ask({ type: 'engine-info' }));
})();
