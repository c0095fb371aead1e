/// <reference types="node" />

/**
 * The TypeScript wire types are the schema's: `labextension/wire.ts` is what
 * `jlpm build:wire` generates from jupyter_branch/rest-api.schema.json.
 */

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('wire.ts', () => {
  it('is what the schema generates (else run `jlpm build:wire`)', () => {
    // A child process: the generator formats with prettier, which needs
    // dynamic imports that Jest's module sandbox does not allow.
    const generated = execFileSync(
      process.execPath,
      [path.join(ROOT, 'scripts', 'wire-types.js'), '--stdout'],
      { cwd: ROOT, encoding: 'utf-8' }
    );
    const committed = fs.readFileSync(
      path.join(ROOT, 'labextension', 'wire.ts'),
      'utf-8'
    );
    expect(committed).toBe(generated);
  });
});
