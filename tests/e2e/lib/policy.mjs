// Helpers for the settings and managed-policy specs: a test build with an id of its own (so a
// policy written for it touches no other browser on the machine), the policy files Chromium and
// Firefox read, and the notices the sensor shows in its closed shadow root.
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { testBuild, waitFor } from './common.mjs';

export const CHROMIUM_POLICY_DIR = process.env.CHROMIUM_POLICY_DIR ?? '/etc/chromium/policies/managed';
export const FIREFOX_MANAGED_STORAGE_DIR = join(homedir(), '.mozilla', 'managed-storage');

// Chromium's id for a public key: sha256 of the DER key, first 32 hex digits mapped to a-p.
export function chromiumIdOf(derKey) {
  const hex = createHash('sha256').update(derKey).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

// A test build of `browser` with a fresh id: returns { dir, id, remove }.
export function ownIdBuild(browser) {
  const build = testBuild(browser);
  const path = join(build.dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8'));
  let id;
  if (browser === 'chromium') {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const der = publicKey.export({ type: 'spki', format: 'der' });
    manifest.key = der.toString('base64');
    id = chromiumIdOf(der);
  } else {
    id = `byp-policy-test-${process.pid}-${Date.now()}@example.org`;
    manifest.browser_specific_settings.gecko.id = id;
  }
  writeFileSync(path, JSON.stringify(manifest, null, 2));
  return { ...build, id };
}

const cleanups = new Set();
process.on('exit', () => {
  for (const file of cleanups) removePolicyFile(file);
});

// As root, or through password-less sudo when not (CI runners that are not root).
function asRoot(args, input) {
  const run = spawnSync('sudo', ['-n', ...args], { input, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sudo -n ${args.join(' ')}: ${run.stderr || run.error}`);
}

function removePolicyFile(file) {
  try {
    rmSync(file, { force: true });
  } catch {
    try { asRoot(['rm', '-f', file]); } catch { /* already gone or not ours */ }
  }
}

function writePolicyFile(file, content) {
  const text = JSON.stringify(content, null, 2);
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  } catch (err) {
    if (err.code !== 'EACCES' && err.code !== 'EPERM') throw err;
    try {
      asRoot(['mkdir', '-p', join(file, '..')]);
      asRoot(['tee', file], text);
    } catch (sudoErr) {
      throw new Error(`cannot write the policy file ${file} (run as root, with sudo, or set CHROMIUM_POLICY_DIR): ${sudoErr.message}`);
    }
  }
  cleanups.add(file);
  return () => {
    removePolicyFile(file);
    cleanups.delete(file);
  };
}

// Chromium's managed policy for one extension (storage.managed); returns a function removing it.
export function setChromiumPolicy(extensionId, values) {
  return writePolicyFile(join(CHROMIUM_POLICY_DIR, `before-you-post-test-${extensionId}.json`), {
    '3rdparty': { extensions: { [extensionId]: values } },
  });
}

// Firefox's managed storage for one add-on (a native manifest of type "storage").
export function setFirefoxManagedStorage(addonId, values) {
  return writePolicyFile(join(FIREFOX_MANAGED_STORAGE_DIR, `${addonId}.json`), {
    name: addonId, description: 'Before You Post test policy', type: 'storage', data: values,
  });
}

// Texts of the notices on the page ("Before You Post: ..."), read through the DevTools
// protocol, which sees into the closed shadow root that holds them.
export async function noticesOn(page) {
  const cdp = await page.context().newCDPSession(page);
  try {
    return await noticesIn(cdp);
  } finally {
    await cdp.detach().catch(() => {});
  }
}

// The same through a DevTools session of the page that the caller holds.
export async function noticesIn(cdp) {
  const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
  const texts = [];
  const walk = (node) => {
    if (node.nodeType === 3 && node.nodeValue.startsWith('Before You Post:')) texts.push(node.nodeValue);
    for (const child of [...(node.children ?? []), ...(node.shadowRoots ?? [])]) walk(child);
  };
  walk(root);
  return texts;
}

// Waits for a notice matching `pattern` and returns its text.
export function noticeShown(page, pattern) {
  return waitFor(async () => (await noticesOn(page)).find((text) => pattern.test(text)) ?? null,
    { what: `a notice matching ${pattern}` });
}
