/** What every resource shares: the client core, and a few argument helpers. */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ClientCore, RequestOptions } from '../core.js';
import { TavoAbortError, TavoTimeoutError } from '../errors.js';
import { packDirectory } from '../packing.js';

export abstract class Resource {
  constructor(protected readonly core: ClientCore) {}
}

/** Bytes given, or read from a file path (with the file's name). */
export async function fileBytes(file: Uint8Array | string): Promise<[Uint8Array, string | undefined]> {
  if (typeof file === 'string') return [await readFile(file), basename(file)];
  return [file, undefined];
}

/** Archive bytes as given, an archive file's bytes, or a directory packed as .tar.gz. */
export async function archiveBytes(archive: Uint8Array | string): Promise<Uint8Array> {
  if (typeof archive === 'string' && (await stat(archive)).isDirectory()) return packDirectory(archive);
  return (await fileBytes(archive))[0];
}

export interface Deadline {
  signal: AbortSignal;
  left(): number;
  expired(): boolean;
  translate(error: unknown): unknown;
  dispose(): void;
}

/**
 * A deadline for a long wait: `signal` fires when the caller's signal does or `timeoutMs`
 * passes; `check` turns what was thrown into the right error.
 */
export function deadline(timeoutMs: number, options: RequestOptions | undefined, what: string): Deadline {
  const controller = new AbortController();
  const outer = options?.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new TavoTimeoutError(`${what} did not finish within ${timeoutMs / 1000}s`));
  }, timeoutMs);
  const ends = performance.now() + timeoutMs;
  return {
    signal: controller.signal,
    left: (): number => Math.max(0, ends - performance.now()),
    expired: (): boolean => expired,
    /** The error to throw for `error`, seen while waiting. */
    translate(error: unknown): unknown {
      if (expired) return controller.signal.reason;
      if (outer?.aborted && !(error instanceof TavoAbortError)) return new TavoAbortError(outer.reason);
      return error;
    },
    dispose(): void {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export function withSignal(options: RequestOptions | undefined, signal: AbortSignal): RequestOptions {
  return { ...options, signal };
}
