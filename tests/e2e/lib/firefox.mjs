// Drives Debian's Firefox ESR through geckodriver with plain WebDriver HTTP calls
// (Playwright cannot drive a stock Firefox build).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { startServer } from '../server.mjs';
import { tempDir, testBuild, waitFor } from './common.mjs';

export const FIREFOX = process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr';

// Path of geckodriver, or null when it is not installed.
export function findGeckodriver() {
  if (process.env.GECKODRIVER && existsSync(process.env.GECKODRIVER)) return process.env.GECKODRIVER;
  const found = spawnSync('sh', ['-c', 'command -v geckodriver'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (path) return path;
  const cargoBin = `${process.env.HOME ?? '/root'}/.cargo/bin/geckodriver`;
  return existsSync(cargoBin) ? cargoBin : null;
}

// Keeps Firefox off the network: no updates, telemetry, safe browsing, remote settings, etc.
const QUIET_PREFS = {
  'app.update.auto': false,
  'app.update.enabled': false,
  'app.normandy.enabled': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage': 'about:blank',
  'browser.startup.page': 0,
  'browser.newtabpage.enabled': false,
  'browser.topsites.contile.enabled': false,
  'browser.urlbar.suggest.quicksuggest.sponsored': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'extensions.blocklist.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.update.enabled': false,
  'geo.provider.network.url': '',
  'media.gmp-manager.url': '',
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.trr.mode': 5,
  'services.settings.server': 'http://127.0.0.1:9/',
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.server': '',
};

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok || json.value?.error) {
    throw new Error(`WebDriver ${method} ${path}: ${json.value?.error ?? res.status} ${json.value?.message ?? ''}`);
  }
  return json.value;
}

// Starts geckodriver and a headless Firefox session. Returns a small WebDriver client.
// `prefs` are added to the quiet ones (e.g. a fixed moz-extension UUID for an add-on).
export async function launchFirefox(geckodriver, { prefs = {} } = {}) {
  if (!existsSync(FIREFOX)) throw new Error(`${FIREFOX} not found: apt-get install firefox-esr`);
  const port = await freePort();
  // Output goes to a file, not a pipe: a pipe closed before geckodriver exits makes it panic.
  const logDir = tempDir('geckodriver');
  const logFile = join(logDir.dir, 'geckodriver.log');
  const logFd = openSync(logFile, 'w');
  const driver = spawn(geckodriver, ['--host', '127.0.0.1', '--port', String(port)], {
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const log = () => readFileSync(logFile, 'utf8');
  const exited = new Promise((ok) => driver.once('exit', ok));
  const base = `http://127.0.0.1:${port}`;
  const stopDriver = async () => {
    const waitExit = (ms) => Promise.race([exited, new Promise((ok) => setTimeout(ok, ms))]);
    if (driver.exitCode === null && driver.signalCode === null) {
      driver.kill('SIGTERM');
      await waitExit(5000);
    }
    if (driver.exitCode === null && driver.signalCode === null) {
      driver.kill('SIGKILL');
      await waitExit(5000);
    }
    logDir.remove();
  };

  try {
    const deadline = Date.now() + 20000;
    for (;;) {
      try {
        if ((await call(base, 'GET', '/status')).ready !== undefined) break;
      } catch (err) {
        if (driver.exitCode !== null || Date.now() > deadline) {
          throw new Error(`geckodriver did not start: ${err.message}\n${log()}`);
        }
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
    const { sessionId } = await call(base, 'POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'firefox',
          acceptInsecureCerts: false,
          'moz:firefoxOptions': { binary: FIREFOX, args: ['-headless'], prefs: { ...QUIET_PREFS, ...prefs } },
        },
      },
    });
    const s = `/session/${sessionId}`;
    return {
      log,
      // Any WebDriver command of this session (lib/firefox-session.mjs builds on it).
      cmd: (method, path, body) => call(base, method, `${s}${path}`, body),
      installAddon: (dir) => call(base, 'POST', `${s}/moz/addon/install`, { path: dir, temporary: true }),
      goto: (url) => call(base, 'POST', `${s}/url`, { url }),
      execute: (script, args = []) => call(base, 'POST', `${s}/execute/sync`, { script, args }),
      // Element helpers (W3C WebDriver): find by CSS, type into (a file input takes a path), click.
      find: async (css) => Object.values(await call(base, 'POST', `${s}/element`, { using: 'css selector', value: css }))[0],
      sendKeys: (el, text) => call(base, 'POST', `${s}/element/${el}/value`, { text }),
      click: (el) => call(base, 'POST', `${s}/element/${el}/click`, {}),
      // Into the n-th frame of the current document (null: back to the top document).
      frame: (id) => call(base, 'POST', `${s}/frame`, { id }),
      close: async () => {
        await call(base, 'DELETE', s).catch(() => {});
        await stopDriver();
      },
    };
  } catch (err) {
    await stopDriver();
    throw err;
  }
}

// Why the Firefox specs are skipped, or false when geckodriver is there.
export function geckodriverSkip() {
  return findGeckodriver() === null
    ? 'geckodriver is not installed (cargo install geckodriver; .ci/setup installs it)'
    : false;
}

// The fixture server and Firefox with the extension's test build installed temporarily.
// Returns { server, firefox, close }.
export async function firefoxWithExtension() {
  const server = await startServer();
  const build = testBuild('firefox');
  let firefox;
  const close = async () => {
    await firefox?.close();
    build.remove();
    await server.close();
  };
  try {
    firefox = await launchFirefox(findGeckodriver());
    await firefox.installAddon(build.dir);
  } catch (err) {
    await close();
    throw err;
  }
  return { server, firefox, close };
}

// In the guard frame: true once the warning itself is up (not the panel a long check shows)
// and takes a choice (body[data-accepting]: plainly visible for a moment, AUTOMATION.md).
export const WARNING_OPEN = "const b = document.getElementById('backdrop'); const d = document.getElementById('dialog');"
  + " return b && !b.hidden && !d.hidden && document.body.hasAttribute('data-accepting') ? true : null";

// Waits until the warning is on screen in the guard frame (the page's first frame) and leaves
// the driver inside that frame.
export async function intoWarning(firefox) {
  await waitFor(async () => {
    try {
      await firefox.frame(0);
    } catch {
      return null;
    }
    const open = await firefox.execute(WARNING_OPEN);
    if (open) return true;
    await firefox.frame(null);
    return null;
  }, { timeoutMs: 30000, what: 'the warning in the guard frame' });
}
