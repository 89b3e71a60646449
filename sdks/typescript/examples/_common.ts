/**
 * What every example shares: where the API keys and the repositories to scan come from, and
 * how an example reports success (exit 0, "<name>: ok") or failure (exit 1).
 *
 *   TAVO_BASE_URL          the server (read by the client itself), e.g. http://127.0.0.1:8700
 *   TAVO_API_KEY           an API key; several separated by commas for load balancing
 *   TAVO_REPOSITORY_URLS   repositories the server can fetch, comma-separated (default: the
 *                          guide's placeholders, which only a server on the internet reaches)
 */
import { basename } from 'node:path';

export const API_KEYS = (process.env['TAVO_API_KEY'] ?? '').split(',').map((k) => k.trim()).filter(Boolean);
export const API_KEY = API_KEYS[0] ?? 'your-key';
export const REPOSITORY_URLS = (process.env['TAVO_REPOSITORY_URLS'] ?? 'https://github.com/org/repo1,https://github.com/org/repo2')
  .split(',')
  .map((url) => url.trim())
  .filter(Boolean);
export const REPO1 = REPOSITORY_URLS[0] as string;
export const REPO2 = REPOSITORY_URLS[1 % REPOSITORY_URLS.length] as string;

/** Fails the example (exit status 1) when `condition` is false. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Runs an example's main: exit 0 when it worked, 1 with the error when anything failed. */
export function runExample(file: string, main: () => Promise<void>): void {
  const name = basename(file).replace(/\.js$/, '');
  main().then(
    () => console.log(`${name}: ok`),
    (error: unknown) => {
      console.error(error);
      console.error(`${name}: FAILED`);
      process.exitCode = 1;
    },
  );
}

export const sleep = (ms: number): Promise<void> => new Promise((ok) => setTimeout(ok, ms));
