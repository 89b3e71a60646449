// TypeScript SDK throughput against a live `tavo serve` on loopback, each figure beside its
// baseline measured in the same run:
//
//   1. 3,000 getScanStatus calls at concurrency 64: the SDK (its default transport) vs raw
//      undici with a keep-alive Agent (the fastest Node client), rounds alternating, medians.
//      goal: throughput_vs_undici >= 0.70
//      The same calls through the SDK's other transports (axios with its 'http' and 'fetch'
//      adapters) and through raw fetch are measured too: this is how the default was chosen.
//   2. 1,000 getScanStatus calls (concurrency 64) through one shared client vs a new client
//      per request (the seed's "bad" pattern), over HTTPS (as an API is served; a self-signed
//      certificate made with openssl) and over plain HTTP.   goal: shared_vs_per_request >= 5
//   3. A repeated listRules served from the HTTP cache vs the same call uncached.
//      goal: cached_speedup >= 10
//
// The server runs without scan workers (TAVO_SCAN_CONCURRENCY=0: created scans stay queued),
// so the figures are the API's and the client's, not the scanner's. The last line printed is
// one JSON object with every figure.
//
//   (cd sdks/typescript && npm ci && npm run build) && node bench/ts_sdk_throughput.mjs [--rounds 3]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const sdkDir = join(root, 'sdks', 'typescript');
const { TavoSdk } = await import(pathToFileURL(join(sdkDir, 'dist', 'esm', 'index.js')).href);
const { Agent, request } = createRequire(join(sdkDir, 'package.json'))('undici');
const TAVO = process.env.TAVO_BIN ?? join(root, '.venv', 'bin', 'tavo');

const THROUGHPUT_CALLS = 3_000;
const SHARED_CALLS = 1_000;
const CONCURRENCY = 64;
const CACHED_CALLS = 200;
const GOALS = { throughput_vs_undici: 0.7, shared_vs_per_request: 5, cached_speedup: 10 };
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;

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

function selfSigned(directory) {
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem'), '-days', '1', '-nodes',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    return { cert: join(directory, 'cert.pem'), key: join(directory, 'key.pem') };
  } catch {
    return undefined;
  }
}

/** `tavo serve` in a session of its own on a fresh data directory (HTTPS when given TLS). */
async function startServer(dataDir, tls) {
  const port = await freePort();
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAVO_')));
  Object.assign(env, { TAVO_SCAN_CONCURRENCY: '0', TAVO_FETCH_ALLOW_FILE_URLS: 'true' });
  if (tls) Object.assign(env, { TAVO_TLS_CERTIFICATE: tls.cert, TAVO_TLS_KEY: tls.key });
  const child = spawn(TAVO, ['serve', '--port', String(port), '--data-dir', dataDir], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const baseURL = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = tls ? readFileSync(tls.cert) : undefined;
  const probe = new Agent({ connect: ca ? { ca } : {} });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    try {
      const health = await request(`${baseURL}/health`, { dispatcher: probe, headersTimeout: 1000 });
      await health.body.text();
      const admin = /^\s*(tavo_\S+)\s*$/m.exec(output)?.[1];
      if (health.statusCode === 200 && admin) {
        await probe.close();
        return { child, baseURL, admin, ca, output: () => output };
      }
    } catch {
      // not up yet
    }
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`the server did not start:\n${output}`);
}

function stopServer(server) {
  return new Promise((ok) => {
    if (server.child.exitCode !== null) return ok();
    server.child.once('exit', () => ok());
    try { process.kill(-server.child.pid, 'SIGTERM'); } catch { ok(); }
  });
}

async function setUp(server) {
  const agent = new Agent({ connect: server.ca ? { ca: server.ca } : {} });
  const post = async (path, key, body) => {
    const response = await request(`${server.baseURL}/api/v1${path}`, {
      method: 'POST', dispatcher: agent, body: JSON.stringify(body),
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
    const text = await response.body.text();
    if (response.statusCode >= 300) throw new Error(`POST ${path}: HTTP ${response.statusCode} ${text}`);
    return JSON.parse(text);
  };
  const { key } = await post('/admin/keys', server.admin, {
    tier: 'enterprise', org: 'bench', limits: { requests_per_hour: 1e9, requests_per_day: 1e10, scans_per_hour: 1e7 },
  });
  // A file:// URL is accepted at creation; with no scan workers the scan stays queued.
  const scan = await post('/scans', key, { repository_url: 'file:///bench/status' });
  await agent.close();
  return { key, scanId: scan.id };
}

/** Runs `calls` calls of `call`, at most `concurrency` at once; seconds taken. */
async function timed(calls, concurrency, call) {
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < calls) {
      next += 1;
      await call();
    }
  }));
  return (performance.now() - started) / 1000;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const rate = (calls, seconds) => calls / seconds;
function line(label, calls, seconds) {
  console.log(`  ${label.padEnd(44)} ${String(Math.round(rate(calls, seconds))).padStart(7)} calls/s  (${calls} in ${seconds.toFixed(2)} s)`);
}

async function throughput(server, key, scanId) {
  console.log(`1. getScanStatus x${THROUGHPUT_CALLS}, concurrency ${CONCURRENCY} (${server.baseURL})`);
  const url = `${server.baseURL}/api/v1/scans/${scanId}/status`;
  const headers = { authorization: `Bearer ${key}`, accept: 'application/json', 'accept-encoding': 'gzip' };
  const agent = new Agent({ connections: 100, keepAliveTimeout: 15_000 });
  const raw = () => request(url, { headers, dispatcher: agent }).then(async (r) => JSON.parse(await r.body.text()));
  const sdk = TavoSdk.createClient({ apiKey: key, baseURL: server.baseURL });
  const viaSdk = () => sdk.scanManagement.getScanStatus(scanId);
  await timed(300, CONCURRENCY, raw); // warm-up: connections, the server's caches
  await timed(300, CONCURRENCY, viaSdk);
  const rawRounds = [];
  const sdkRounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    rawRounds.push(await timed(THROUGHPUT_CALLS, CONCURRENCY, raw));
    sdkRounds.push(await timed(THROUGHPUT_CALLS, CONCURRENCY, viaSdk));
  }
  const rawSeconds = median(rawRounds);
  const sdkSeconds = median(sdkRounds);
  line('raw undici, keep-alive Agent (baseline)', THROUGHPUT_CALLS, rawSeconds);
  line(`SDK, default transport (${sdk.transportName})`, THROUGHPUT_CALLS, sdkSeconds);
  const figures = { throughput_vs_undici: rawSeconds / sdkSeconds, sdk_calls_per_second: rate(THROUGHPUT_CALLS, sdkSeconds), undici_calls_per_second: rate(THROUGHPUT_CALLS, rawSeconds) };
  // The other transports, once each: the measurement behind the choice of the default.
  const fetchRaw = () => fetch(url, { headers }).then((r) => r.json());
  await timed(300, CONCURRENCY, fetchRaw);
  const fetchSeconds = await timed(THROUGHPUT_CALLS, CONCURRENCY, fetchRaw);
  line("raw fetch (Node's global)", THROUGHPUT_CALLS, fetchSeconds);
  figures.fetch_calls_per_second = rate(THROUGHPUT_CALLS, fetchSeconds);
  for (const adapter of ['http', 'fetch']) {
    const client = TavoSdk.createClient({ apiKey: key, baseURL: server.baseURL, adapter });
    const call = () => client.scanManagement.getScanStatus(scanId);
    await timed(300, CONCURRENCY, call);
    const seconds = await timed(THROUGHPUT_CALLS, CONCURRENCY, call);
    line(`SDK, axios transport, '${adapter}' adapter`, THROUGHPUT_CALLS, seconds);
    figures[`sdk_axios_${adapter}_calls_per_second`] = rate(THROUGHPUT_CALLS, seconds);
    await client.close();
  }
  console.log(`  -> SDK / raw undici: ${figures.throughput_vs_undici.toFixed(2)} (goal >= ${GOALS.throughput_vs_undici})`);
  await sdk.close();
  await agent.close();
  return figures;
}

async function sharedVsPerRequest(server, key, scanId, label) {
  console.log(`2. getScanStatus x${SHARED_CALLS}: one shared client vs a client per request (${label})`);
  const options = { apiKey: key, baseURL: server.baseURL, ...(server.ca ? { tls: { ca: server.ca } } : {}) };
  const shared = TavoSdk.createClient(options);
  const viaShared = () => shared.scanManagement.getScanStatus(scanId);
  const perRequest = async () => {
    const client = TavoSdk.createClient(options);
    try {
      await client.scanManagement.getScanStatus(scanId);
    } finally {
      await client.close();
    }
  };
  await timed(100, CONCURRENCY, viaShared);
  await timed(100, CONCURRENCY, perRequest);
  const sharedRounds = [];
  const perRounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    perRounds.push(await timed(SHARED_CALLS, CONCURRENCY, perRequest));
    sharedRounds.push(await timed(SHARED_CALLS, CONCURRENCY, viaShared));
  }
  line('a new client per request (baseline)', SHARED_CALLS, median(perRounds));
  line('one shared client', SHARED_CALLS, median(sharedRounds));
  const ratio = median(perRounds) / median(sharedRounds);
  console.log(`  -> shared / per request: ${ratio.toFixed(2)} (goal >= ${GOALS.shared_vs_per_request})`);
  await shared.close();
  return ratio;
}

async function cachedSpeedup(server, key) {
  console.log(`3. listRules x${CACHED_CALLS}: from the HTTP cache vs uncached`);
  const cached = TavoSdk.createClient({ apiKey: key, baseURL: server.baseURL });
  const uncached = TavoSdk.createClient({ apiKey: key, baseURL: server.baseURL, cache: false });
  await cached.scanRules.listRules();
  await uncached.scanRules.listRules();
  const uncachedSeconds = await timed(CACHED_CALLS, 1, () => uncached.scanRules.listRules());
  const cachedSeconds = await timed(CACHED_CALLS, 1, () => cached.scanRules.listRules());
  line('uncached (baseline)', CACHED_CALLS, uncachedSeconds);
  line('from the cache', CACHED_CALLS, cachedSeconds);
  const ratio = uncachedSeconds / cachedSeconds;
  console.log(`  -> cached / uncached: ${ratio.toFixed(1)} (goal >= ${GOALS.cached_speedup}); cache hits ${cached.metrics.cacheHits}`);
  await cached.close();
  await uncached.close();
  return { cached_speedup: ratio, cached_call_us: (cachedSeconds / CACHED_CALLS) * 1e6, uncached_call_ms: (uncachedSeconds / CACHED_CALLS) * 1e3 };
}

const work = mkdtempSync(join(tmpdir(), 'tavo-ts-bench-'));
const servers = [];
const figures = {};
try {
  const plain = await startServer(join(work, 'plain'));
  servers.push(plain);
  const { key, scanId } = await setUp(plain);
  Object.assign(figures, await throughput(plain, key, scanId));
  figures.shared_vs_per_request_plain_http = await sharedVsPerRequest(plain, key, scanId, 'plain HTTP');
  Object.assign(figures, await cachedSpeedup(plain, key));
  await stopServer(plain);
  const tls = selfSigned(work);
  if (tls) {
    const secure = await startServer(join(work, 'tls'), tls);
    servers.push(secure);
    const setup = await setUp(secure);
    figures.shared_vs_per_request = await sharedVsPerRequest(secure, setup.key, setup.scanId, 'HTTPS');
  } else {
    console.log('  (no openssl: shared_vs_per_request is the plain-HTTP figure)');
    figures.shared_vs_per_request = figures.shared_vs_per_request_plain_http;
  }
} finally {
  for (const server of servers) await stopServer(server);
  rmSync(work, { recursive: true, force: true });
}
const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v * 100) / 100]));
const met = Object.entries(GOALS).map(([k, goal]) => `${k} ${rounded[k] >= goal ? 'met' : 'NOT met'} (${rounded[k]} vs ${goal})`);
console.log(`goals: ${met.join('; ')}`);
console.log(JSON.stringify({ throughput_vs_undici: rounded.throughput_vs_undici, shared_vs_per_request: rounded.shared_vs_per_request, cached_speedup: rounded.cached_speedup, ...rounded }));
