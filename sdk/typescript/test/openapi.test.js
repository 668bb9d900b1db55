// src/openapi.d.ts is exactly what openapi-typescript generates from the
// API's description, api/openapi.yaml (HERALD_OPENAPI_YAML names another
// file), so the declarations cannot drift from it: after a change to the
// document, run `npm run generate`.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const spec = process.env.HERALD_OPENAPI_YAML || join(pkg, '..', '..', 'api', 'openapi.yaml');
const cli = join(pkg, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');

test('src/openapi.d.ts is generated from api/openapi.yaml', { skip: existsSync(spec) ? false : `${spec} is not in this checkout` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-openapi-'));
  try {
    const out = join(dir, 'openapi.d.ts');
    execFileSync(process.execPath, [cli, spec, '-o', out], { cwd: pkg, stdio: 'pipe' });
    assert.ok(readFileSync(out, 'utf8') === readFileSync(join(pkg, 'src', 'openapi.d.ts'), 'utf8'),
      'src/openapi.d.ts differs from what openapi-typescript generates from api/openapi.yaml: run npm run generate in sdk/typescript');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
