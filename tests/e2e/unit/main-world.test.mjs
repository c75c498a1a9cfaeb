// What content/main-world.js (the page-world script) touches after document_start, checked from
// its source: a page may replace any built-in once its own scripts run, so everything the script
// runs later (the wrappers' traps, the link, the picker hand-over) may only call the natives it
// captured at start, through bound functions, with null-prototype option bags, without iteration,
// array methods, promise methods, spread or lookups on `window`, `document`, `Object`, `Reflect`
// or `JSON`. The end-to-end proof is specs/hostile.test.mjs with fixtures/hooks.js; this test
// names the rule and lists the page-reachable reads that remain (all after the user's decision).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const source = readFileSync(join(ROOT, 'extension', 'content', 'main-world.js'), 'utf8');
// Comments and string contents out: only code is checked.
const code = source
  .replace(/\/\/[^\n]*/g, '')
  .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
  .replace(/`(?:[^`\\]|\\.)*`/g, '``');
const START = code.indexOf('const nativeSource');
const captured = code.slice(0, START);
const later = code.slice(START);

test('main-world.js: the natives are captured before anything else runs', () => {
  assert.ok(START > 0, 'the capture section comes first');
  for (const name of ['reflectApply', 'defineProperty', 'objectCreate', 'weakGet', 'weakSet', 'sourceOf', 'dispatch',
    'listen', 'unlisten', 'createElement', 'setAttribute', 'getAttribute', 'isConnected', 'inputType', 'inputFiles',
    'eventType', 'eventDetail', 'stringify', 'theDocument', 'theWindow', 'PromiseNative', 'MouseEventNative', 'DOMExceptionNative']) {
    assert.match(captured, new RegExp(`\\b${name}\\b\\s*[=,}]`), `${name} is captured at start`);
  }
});

test('main-world.js: after start, no call goes through a prototype or protocol the page can replace', () => {
  assert.ok(START > 0 && later.length > 1000, 'the code after the capture section is found');
  const FORBIDDEN = {
    '.call(': /\.call\(/, '.apply(': /\.apply\(/, '.bind(': /\.bind\(/,
    'for...of': /\bfor\s*\([^;)]*\bof\b/, 'spread or rest': /\.\.\./,
    'array methods': /\.(map|forEach|push|filter|find|some|every|reduce|slice|splice|indexOf|includes|join)\(/,
    'promise methods': /\.(then|catch|finally)\(/, 'await': /\bawait\b/,
    'globals looked up late': /\b(Object|Reflect|JSON|Array|document|window|Promise|WeakMap|Function|EventTarget)\.\w/,
  };
  for (const [what, re] of Object.entries(FORBIDDEN)) {
    const at = later.search(re);
    assert.equal(at, -1, `${what} after start: ...${later.slice(Math.max(0, at - 60), at + 40)}...`);
  }
});

test('main-world.js: every option bag and descriptor made after start has a null prototype', () => {
  // An object literal passed to a native (event init, listener options, property descriptors)
  // is read through its prototype chain for the members it lacks.
  const bags = later.match(/\{\s*(?:__proto__|relatedTarget|once|value|kind|name|getFile|apply)\b[^{}]*/g) ?? [];
  assert.ok(bags.length >= 6);
  for (const bag of bags) assert.match(bag, /^\{\s*__proto__: null/, `an option bag without a null prototype: ${bag.slice(0, 60)}`);
});

test('main-world.js: the page-reachable reads that remain are listed, and happen after the decision', () => {
  // Property reads on objects the page can reach, after start: the receiver's members in the
  // traps (`args.length`, `args[0]`: the engine's own argument list), and, once the user has
  // decided, the decided handles and files handed back (`d.handles`, `handles.length`,
  // `handles[i]`, `files[i]`, `file.name`, `d.message`, `d.name`) and `String` for the error.
  const reads = new Set(later.match(/\b(?:args|d|handles|files|file|owner)\s*(?:\.\w+|\[\w+\])/g) ?? []);
  assert.deepEqual([...reads].sort(), [
    'args.length', 'args[0]', 'd.handles', 'd.message', 'd.name', 'file.name', 'files[i]', 'handles.length', 'handles[i]',
    'owner[name]',
  ].sort());
});
