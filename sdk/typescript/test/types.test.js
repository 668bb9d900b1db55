// The declarations type-check, with the example and the type assertions of
// types.ts, and the JavaScript checks against its JSDoc.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** @param {string} project */
function check(project) {
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '-p', project], { cwd: pkg, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = /** @type {any} */ (err);
    assert.fail(`tsc -p ${project}:\n${e.stdout}${e.stderr}`);
  }
}

test('tsc --noEmit: the declarations, examples/ and test/types.ts', () => check('tsconfig.json'));
test('tsc --noEmit: the JavaScript against its JSDoc', () => check('tsconfig.js.json'));
