/**
 * Packing a local directory for `uploadScan`: a .tar.gz of what git would track.
 *
 * Honoured: every .gitignore on the way (the nearest one that decides wins, as in git),
 * never the VCS directories themselves. Symbolic links and anything that is not a regular
 * file are left out (the server would not follow them either); a .gitignore is read only if
 * it is a regular file of sensible size. The same rules as the Python SDK's packing.
 */
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants as fsConstants } from 'node:fs';
import { gzip } from 'node:zlib';
import ignore from 'ignore';
import type { Ignore } from 'ignore';

const gzipAsync = promisify(gzip);
const VCS_DIRS = new Set(['.git', '.hg', '.svn']);
const MAX_GITIGNORE_BYTES = 1024 * 1024;
const BLOCK = 512;

async function gitignore(path: string): Promise<Ignore | undefined> {
  let handle;
  try {
    handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_GITIGNORE_BYTES) return undefined;
    return ignore().add((await handle.readFile()).toString('utf8'));
  } finally {
    await handle.close();
  }
}

/** `relative` ends with '/' for a directory; nearer .gitignore files decide first. */
function ignored(relative: string, specs: Map<string, Ignore>): boolean {
  let base = relative.replace(/\/$/, '');
  while (base) {
    const slash = base.lastIndexOf('/');
    base = slash === -1 ? '' : base.slice(0, slash);
    const spec = specs.get(base);
    if (spec === undefined) continue;
    const decision = spec.test(base ? relative.slice(base.length + 1) : relative);
    if (decision.ignored) return true;
    if (decision.unignored) return false;
  }
  return false;
}

/** Every regular file git would track under `root`, relative paths with '/', sorted. */
export async function trackedFiles(root: string): Promise<string[]> {
  const specs = new Map<string, Ignore>();
  const found: string[] = [];
  async function walk(relDir: string): Promise<void> {
    const directory = relDir ? join(root, relDir) : root;
    const spec = await gitignore(join(directory, '.gitignore'));
    if (spec !== undefined) specs.set(relDir, spec);
    const entries = (await readdir(directory, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const relative = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!VCS_DIRS.has(entry.name) && !ignored(`${relative}/`, specs)) await walk(relative);
      } else if (entry.isFile() && !ignored(relative, specs)) {
        found.push(relative);
      }
    }
  }
  await walk('');
  return found;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number, mode: number, mtime: number, type = '0'): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name, 0, 100, 'utf8');
  block.write(octal(mode & 0o7777, 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(Math.floor(mtime), 12), 136);
  block.write('        ', 148); // the checksum counts itself as spaces
  block.write(type, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148);
  return block;
}

function padded(data: Buffer): Buffer[] {
  const rest = data.length % BLOCK;
  return rest ? [data, Buffer.alloc(BLOCK - rest)] : [data];
}

/** A tar entry; names too long for the header go in a PAX extended header. */
function entry(name: string, data: Buffer, mode: number, mtime: number): Buffer[] {
  const parts: Buffer[] = [];
  if (Buffer.byteLength(name) > 100) {
    const record = (length: number): string => `${length} path=${name}\n`;
    let length = Buffer.byteLength(record(0));
    while (Buffer.byteLength(record(length)) !== length) length = Buffer.byteLength(record(length));
    const pax = Buffer.from(record(length));
    parts.push(header('PaxHeader', pax.length, 0o644, mtime, 'x'), ...padded(pax));
  }
  parts.push(header(name.slice(0, 100), data.length, mode, mtime), ...padded(data));
  return parts;
}

/** The directory as .tar.gz bytes, member names relative to it. */
export async function packDirectory(root: string): Promise<Buffer> {
  const info = await lstat(root);
  if (!info.isDirectory()) throw new Error(`${root} is not a directory`);
  const parts: Buffer[] = [];
  for (const relative of await trackedFiles(root)) {
    const path = join(root, relative);
    const stat = await lstat(path);
    if (!stat.isFile()) continue;
    parts.push(...entry(relative, await readFile(path), stat.mode, stat.mtimeMs / 1000));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return gzipAsync(Buffer.concat(parts));
}
