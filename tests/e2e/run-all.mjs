// Runs every end-to-end spec (or those under the given paths) with node's own test runner,
// one file at a time: each spec starts a browser, and the machine has 2 cores.
//   node run-all.mjs                 all specs
//   node run-all.mjs specs firefox   only these folders / files
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DEFAULT_PATHS = ['unit', 'specs', 'firefox', 'examples']; // unit: no browser; examples: AUTOMATION.md's runnable example

function specFiles(path) {
  const full = join(HERE, path);
  if (!existsSync(full)) {
    const inSpecs = join(HERE, 'specs', path);
    if (existsSync(inSpecs)) return [inSpecs];
    throw new Error(`no such spec or folder: ${path}`);
  }
  if (statSync(full).isFile()) return [full];
  return readdirSync(full).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(full, f));
}

const paths = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_PATHS;
const files = paths.flatMap(specFiles);
console.log(`specs: ${files.map((f) => relative(HERE, f)).join(' ')}`);
const run = spawnSync(process.execPath, [
  '--test', '--test-concurrency=1', '--test-reporter=spec', ...files,
], { cwd: HERE, stdio: 'inherit' });
process.exit(run.status ?? 1);
