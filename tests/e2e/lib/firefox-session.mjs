// More WebDriver for Firefox than lib/firefox.mjs's client offers: pointer actions (hover, press),
// tabs, asynchronous scripts and the privileged (chrome) context, built on the client's own
// cmd(). Same browser, same quiet prefs.
import { launchFirefox } from './firefox.mjs';

export async function launchFirefoxSession(geckodriver, options) {
  const firefox = await launchFirefox(geckodriver, options);
  const { cmd } = firefox;
  const pointer = (actions) => cmd('POST', '/actions', {
    actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
  });
  const element = (el) => ({ 'element-6066-11e4-a52e-4f735466cecf': el });
  return {
    ...firefox,
    cmd,
    // Async script: the last argument is the callback.
    executeAsync: (script, args = []) => cmd('POST', '/execute/async', { script, args }),
    // Moves the mouse onto the element's centre (a real hover: mouseover, mousemove).
    hover: (el) => pointer([{ type: 'pointerMove', duration: 100, origin: element(el), x: 0, y: 0 }]),
    // Presses and releases the left button where the mouse is, `holdMs` apart.
    press: (holdMs = 0) => pointer([
      { type: 'pointerDown', button: 0 },
      { type: 'pause', duration: holdMs },
      { type: 'pointerUp', button: 0 },
    ]),
    // Keys through the input source (e.g. ['\uE009', 'v', '\uE009'] for Ctrl+V as down/up pairs).
    keys: (actions) => cmd('POST', '/actions', { actions: [{ type: 'key', id: 'keyboard', actions }] }),
    releaseActions: () => cmd('DELETE', '/actions'),
    url: () => cmd('GET', '/url'),
    windowHandle: () => cmd('GET', '/window'),
    windowHandles: () => cmd('GET', '/window/handles'),
    newTab: async () => (await cmd('POST', '/window/new', { type: 'tab' })).handle,
    switchTo: (handle) => cmd('POST', '/window', { handle }),
    closeWindow: () => cmd('DELETE', '/window'),
    // 'chrome' runs scripts with the browser's privileges (needs MOZ_REMOTE_ALLOW_SYSTEM_ACCESS
    // in Firefox's environment); 'content' is the page.
    context: (which) => cmd('POST', '/moz/context', { context: which }),
  };
}
