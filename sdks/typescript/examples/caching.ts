/**
 * The guide's "Cache Static Data" (a hand-made cache of rules for an hour) and "HTTP Caching
 * Headers" (the SDK's own cache: the second call is answered without the network).
 */
import { TavoSdk } from 'tavo-sdk';
import type { RuleList, TavoClient } from 'tavo-sdk';
import { API_KEY, REPO1, check, runExample } from './_common.js';

class CachedTavoClient {
  readonly client: TavoClient;
  private readonly cache = new Map<string, [number, RuleList]>();
  private readonly repositories = new Map<string, ReturnType<TavoClient['repositories']['getRepository']>>();

  constructor(apiKey: string) {
    this.client = TavoSdk.createClient({ apiKey });
  }

  /** Cache repository metadata */
  getRepositoryInfo(repoUrl: string) {
    let info = this.repositories.get(repoUrl);
    if (info === undefined) {
      info = this.client.repositories.getRepository(repoUrl);
      this.repositories.set(repoUrl, info);
    }
    return info;
  }

  /** Cache scan rules for 1 hour */
  async cachedScanRules(): Promise<RuleList> {
    const cached = this.cache.get('scan_rules');
    if (cached && performance.now() - cached[0] < 3_600_000) return cached[1];
    const rules = await this.client.scanRules.listRules();
    this.cache.set('scan_rules', [performance.now(), rules]);
    return rules;
  }
}

runExample(import.meta.url, async () => {
  const cached = new CachedTavoClient(API_KEY);
  await cached.client.repositories.createRepository({ url: REPO1 });
  const [a, b] = [await cached.getRepositoryInfo(REPO1), await cached.getRepositoryInfo(REPO1)];
  check(a === b, 'one lookup per repository');
  const rules = await cached.cachedScanRules();
  check((await cached.cachedScanRules()) === rules, 'rules from the hand-made cache');
  await cached.client.close();

  // SDK respects standard HTTP caching headers
  const client = TavoSdk.createClient({ apiKey: API_KEY });
  // First request - fetches from API
  const first = await client.scanRules.listRules();
  // Subsequent requests within cache window - uses cached response
  const started = performance.now();
  const again = await client.scanRules.listRules(); // Fast cached response
  const cachedMs = performance.now() - started;
  check(again === first && client.metrics.cacheHits === 1, 'served from the cache');
  console.log(`cached call: ${cachedMs.toFixed(3)} ms`);
  await client.close();
});
