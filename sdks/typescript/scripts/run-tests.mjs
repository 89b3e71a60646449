// Runs the SDK's tests against a real `tavo serve`: starts one server on a free loopback port
// with a data directory of its own, creates a key through the CLI, makes git repositories for
// the server to scan, runs `node --test` over the compiled tests with where all that is in the
// environment, and stops the server. Needs `npm run build && npm run build:test` first.
//
//   node scripts/run-tests.mjs [test files...]     (default: every build-test/test/*.test.js)
//
// TAVO_BIN names the tavo CLI (default: the repository's .venv/bin/tavo).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '..');
const repoRoot = resolve(packageDir, '..', '..');
const tavo = process.env.TAVO_BIN ?? join(repoRoot, '.venv', 'bin', 'tavo');
const START_TIMEOUT_MS = 90_000;

const VULNERABLE_APP = `import subprocess


def run(user_command):
    # A command built from input, run through a shell.
    subprocess.call("ls " + user_command, shell=True)


def evaluate(expression):
    return eval(expression)
`;

function freePort() {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });
}

function gitRepo(path, files) {
  mkdirSync(path, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  const git = ['-c', 'user.email=tests@tavo.invalid', '-c', 'user.name=tests'];
  execFileSync('git', [...git, 'init', '-q', '-b', 'main'], { cwd: path });
  execFileSync('git', [...git, 'add', '-A'], { cwd: path });
  execFileSync('git', [...git, 'commit', '-q', '-m', 'initial'], { cwd: path });
  return pathToFileURL(path).href;
}

function serverEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TAVO_')));
  return { ...env, ...extra };
}

async function startServer(dataDir) {
  const port = await freePort();
  // file:// repositories to scan, and webhooks delivered to receivers on loopback.
  const env = serverEnv({ TAVO_FETCH_ALLOW_FILE_URLS: 'true', TAVO_FETCH_ALLOW_HOSTS: '["127.0.0.0/8"]' });
  const child = spawn(tavo, ['serve', '--port', String(port), '--data-dir', dataDir], {
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const baseURL = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    try {
      const health = await fetch(`${baseURL}/health`, { signal: AbortSignal.timeout(1000) });
      if (health.ok) {
        const adminKey = /^\s*(tavo_\S+)\s*$/m.exec(output)?.[1];
        if (!adminKey) throw new Error(`no admin key in the server's output:\n${output}`);
        return { child, baseURL, adminKey, env, output: () => output };
      }
    } catch (error) {
      if (String(error).includes('no admin key')) throw error;
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  stop(child);
  throw new Error(`the server did not start:\n${output}`);
}

function stop(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    const timer = setTimeout(() => {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
    }, 15_000);
    child.once('exit', () => { clearTimeout(timer); ok(); });
    try { process.kill(-child.pid, 'SIGTERM'); } catch { ok(); }
  });
}

const work = mkdtempSync(join(tmpdir(), 'tavo-ts-sdk-'));
let server;
let code = 1;
try {
  server = await startServer(join(work, 'data'));
  // One key made the way an operator makes them: through the CLI.
  const created = execFileSync(
    tavo,
    ['keys', 'create', '--json', '--tier', 'pro', '--org', 'ts-sdk-cli', '--data-dir', join(work, 'data')],
    { env: server.env, encoding: 'utf8' },
  );
  const cliKey = JSON.parse(created).key;
  const repos = ['app', 'repo1', 'repo2'].map((name) =>
    gitRepo(join(work, 'repos', name), { [name === 'app' ? 'app.py' : 'main.py']: VULNERABLE_APP, 'README.md': '# demo\n' }),
  );
  const given = process.argv.slice(2);
  const testDir = join(packageDir, 'build-test', 'test');
  const files = given.length ? given : readdirSync(testDir).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(testDir, f));
  const env = {
    ...serverEnv({}),
    TAVO_TEST_BASE_URL: server.baseURL,
    TAVO_TEST_ADMIN_KEY: server.adminKey,
    TAVO_TEST_CLI_KEY: cliKey,
    TAVO_TEST_REPO_URLS: repos.join(','),
    TAVO_TEST_WORK_DIR: work,
    TAVO_TEST_REPO_ROOT: repoRoot,
  };
  const runner = spawn(process.execPath, ['--test', '--test-concurrency=2', ...files], { env, stdio: 'inherit', cwd: packageDir });
  code = await new Promise((ok) => runner.once('exit', (status, signal) => ok(status ?? (signal ? 1 : 0))));
} catch (error) {
  console.error(error);
  code = 1;
} finally {
  if (server) await stop(server.child);
  rmSync(work, { recursive: true, force: true });
}
process.exit(code);
