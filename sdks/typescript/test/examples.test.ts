/**
 * The examples (the seed's TypeScript snippet and the guide's performance patterns as
 * TypeScript programs, compiled with the tests) each run against the live server and exit 0.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BASE_URL, REPO_URLS, unlimitedKey } from './helpers.js';

const run = promisify(execFile);
const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const NAMES = readdirSync(examples)
  .filter((name) => name.endsWith('.js') && !name.startsWith('_'))
  .map((name) => name.slice(0, -3))
  .sort();

describe('examples', () => {
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // Two keys of one organisation (the load-balancing pattern spreads over them).
    const org = `examples-${Date.now()}`;
    const keys = [await unlimitedKey(org), await unlimitedKey(org)];
    env = { ...process.env, TAVO_BASE_URL: BASE_URL, TAVO_API_KEY: keys.join(','), TAVO_REPOSITORY_URLS: REPO_URLS.slice(1).join(',') };
  });

  it('covers the seed snippet and the patterns', () => {
    for (const name of ['seed_snippet', 'connection_pooling', 'batching', 'pagination', 'caching', 'metrics']) {
      assert.ok(NAMES.includes(name), `no example ${name}`);
    }
  });

  for (const name of NAMES) {
    it(`${name} runs`, async () => {
      const { stdout } = await run(process.execPath, [join(examples, `${name}.js`)], { env, timeout: 300_000 });
      assert.match(stdout.trim(), new RegExp(`${name}: ok$`));
    });
  }
});
