/**
 * What the tests share: where the live server is (scripts/run-tests.mjs started it), API keys
 * of organisations of their own, the transports every behaviour is tested on, and a guard
 * that fails a test file on any unhandled rejection.
 */
import { randomUUID } from 'node:crypto';
import type { ClientOptions, TavoClient } from 'tavo-sdk';
import { TavoSdk } from 'tavo-sdk';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with scripts/run-tests.mjs (npm test)`);
  return value;
}

export const BASE_URL = required('TAVO_TEST_BASE_URL');
export const ADMIN_KEY = required('TAVO_TEST_ADMIN_KEY');
export const CLI_KEY = required('TAVO_TEST_CLI_KEY');
export const REPO_URLS = required('TAVO_TEST_REPO_URLS').split(',');
export const REPO_URL = REPO_URLS[0] as string;
export const REPO_ROOT = required('TAVO_TEST_REPO_ROOT');

export interface Flavour {
  name: string;
  options: ClientOptions;
}

/** Every behaviour is checked on each transport: undici (the default) and axios's adapters. */
export const FLAVOURS: Flavour[] = [
  { name: 'undici', options: {} },
  { name: 'axios-http', options: { adapter: 'http' } },
  { name: 'axios-fetch', options: { adapter: 'fetch' } },
];

export interface Limits {
  requests_per_hour?: number;
  requests_per_day?: number;
  scans_per_hour?: number;
}

/** A new key through the admin API, in an organisation of its own unless `org` is given. */
export async function createKey(tier = 'pro', limits?: Limits, org?: string): Promise<string> {
  const response = await fetch(`${BASE_URL}/api/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tier, org: org ?? `org-${randomUUID().slice(0, 12)}`, ...(limits ? { limits } : {}) }),
  });
  if (response.status !== 201) throw new Error(`creating a key: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { key: string }).key;
}

/** A key whose limits no test reaches. */
export function unlimitedKey(org?: string): Promise<string> {
  return createKey('pro', { requests_per_hour: 1e8, requests_per_day: 1e9, scans_per_hour: 1e6 }, org);
}

export function client(apiKey: string | string[], options: ClientOptions = {}): TavoClient {
  return TavoSdk.createClient({ apiKey, baseURL: BASE_URL, ...options });
}

/** Runs `body` with a client and closes it afterwards. */
export async function withClient<T>(
  apiKey: string | string[],
  options: ClientOptions,
  body: (client: TavoClient) => Promise<T>,
): Promise<T> {
  const c = client(apiKey, options);
  try {
    return await body(c);
  } finally {
    await c.close();
  }
}

const rejections: unknown[] = [];
process.on('unhandledRejection', (reason) => {
  rejections.push(reason);
  console.error('unhandled rejection:', reason);
  process.exitCode = 1;
});

/** The unhandled rejections seen so far in this test file (there must be none). */
export function unhandledRejections(): unknown[] {
  return rejections;
}

/** One scan of `repositoryUrl`, finished; its id. */
export async function finishedScan(apiKey: string, repositoryUrl = REPO_URL): Promise<string> {
  return withClient(apiKey, {}, async (c) => {
    const scan = await c.scanManagement.createScan({ repository_url: repositoryUrl });
    const final = await c.scanManagement.waitForScan(scan.id, { timeout: 300_000 });
    if (final.status !== 'completed') throw new Error(`scan ${scan.id} ended ${final.status}: ${final.error ?? ''}`);
    return scan.id;
  });
}

export const SEED_RULES =
  'rules:\n' +
  [1, 2, 3]
    .map(
      (n) => `  - id: rule${n}
    title: Example rule ${n}
    message: Marks lines that say TODO-${n}.
    severity: LOW
    confidence: HIGH
    category: example
    fix: Resolve the TODO.
    languages: [generic]
    regex:
      pattern: 'TODO-${n}\\b'
    examples:
      positive:
        - "x = 1  # TODO-${n}"
      negative:
        - "x = 1"
`,
    )
    .join('');
