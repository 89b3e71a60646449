import path from 'node:path';
import fs from 'node:fs/promises';

const ALLOWED = ['/srv/workspace'];

function normalizePath(p: string): string {
  return path.normalize(p);
}

function isPathWithinAllowedDirectories(p: string, dirs: string[]): boolean {
  return dirs.some((dir) => p === dir || p.startsWith(dir + path.sep));
}

export async function validatePath(requested: string): Promise<string> {
  const absolute = path.resolve(ALLOWED[0], requested);
  const real = await fs.realpath(absolute);
  const normalizedReal = normalizePath(real);
  if (!isPathWithinAllowedDirectories(normalizedReal, ALLOWED)) {
    throw new Error(`Access denied: ${requested}`);
  }
  return real;
}
