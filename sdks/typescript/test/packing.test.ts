/**
 * uploadScan(directory): the directory is packed as .tar.gz of what git would track
 * (.gitignore files honoured, nearest first; no VCS directories, no symlinks), and the
 * server scans it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { packDirectory } from 'tavo-sdk';
import { unlimitedKey, withClient } from './helpers.js';

const LONG = `${'deeply-nested-directory-name/'.repeat(5)}module_with_a_rather_long_file_name.py`;

function project(): string {
  const root = mkdtempSync(join(tmpdir(), 'tavo-pack-'));
  const files: Record<string, string> = {
    '.gitignore': '*.log\nbuild/\n!keep.log\n',
    'app.py': 'import subprocess\nsubprocess.call("ls " + input(), shell=True)\n',
    'debug.log': 'ignored\n',
    'keep.log': 'kept by negation\n',
    'build/out.py': 'eval(input())\n',
    'sub/.gitignore': 'secret.py\n',
    'sub/secret.py': 'eval(input())\n',
    'sub/ok.py': 'print(1)\n',
    '.git/config': '[core]\n',
    [LONG]: 'print(2)\n',
  };
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  symlinkSync('/etc/passwd', join(root, 'linked.py'));
  return root;
}

describe('packing a directory', () => {
  it('packs what git would track, as a tar that tar reads', async () => {
    const root = project();
    const archive = join(root, '..', `${root.split('/').pop() ?? 'x'}.tar.gz`);
    writeFileSync(archive, await packDirectory(root));
    const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(listed, ['.gitignore', LONG, 'app.py', 'keep.log', 'sub/.gitignore', 'sub/ok.py'].sort());
    const out = mkdtempSync(join(tmpdir(), 'tavo-unpack-'));
    execFileSync('tar', ['-xzf', archive, '-C', out]);
    assert.equal(readFileSync(join(out, LONG), 'utf8'), 'print(2)\n');
    assert.equal(readFileSync(join(out, 'app.py'), 'utf8'), readFileSync(join(root, 'app.py'), 'utf8'));
  });

  it('uploadScan takes a directory and the server scans it', async () => {
    const root = project();
    await withClient(await unlimitedKey(), {}, async (c) => {
      const scan = await c.scanManagement.uploadScan(root, { scan_type: 'code', project: 'packing-test' });
      const final = await c.scanManagement.waitForScan(scan.id, { timeout: 120_000 });
      assert.equal(final.status, 'completed');
      const paths = new Set((await c.scanManagement.iterResults(scan.id).toList()).map((v) => v.path));
      assert.ok(paths.has('app.py'), [...paths].join(', '));
      assert.ok(!paths.has('build/out.py') && !paths.has('sub/secret.py'), 'ignored files are not uploaded');
      const tracked = await c.findings.listFindings({ project: 'packing-test' });
      assert.ok(tracked.total >= 1);
    });
  });
});
