/**
 * The seed's TypeScript snippet ("Configure axios adapter for Node.js optimization"), with
 * the one line axios 1.x needs changed: its package exports forbid `axios/lib/adapters/http`;
 * the same adapter function is exported as `axios/unsafe/adapters/http.js`.
 */
// (Its types: types/axios-unsafe.d.ts, which this package's tsconfig includes; an application
// adds `/// <reference types="tavo-sdk/types/axios-unsafe" />`.)
import axios from 'axios';
// import httpAdapter from 'axios/lib/adapters/http';     // the seed's line: not exported by axios 1.x
import httpAdapter from 'axios/unsafe/adapters/http.js'; // the one-line change
import { TavoSdk } from 'tavo-sdk';
import { API_KEY, check, runExample } from './_common.js';

runExample(import.meta.url, async () => {
  // Use HTTP adapter instead of XHR for Node.js
  const client = TavoSdk.createClient({
    apiKey: API_KEY,
    adapter: httpAdapter,
  });

  check(/^axios:(http|httpAdapter)$/.test(client.transportName), `transport ${client.transportName}`);
  check(axios.VERSION.startsWith('1.'), `axios ${axios.VERSION}`);
  const [scans, models] = await Promise.all([client.scanManagement.listScans(), client.aiAnalysis.getModels()]);
  check(Array.isArray(scans.items) && models.default_model, 'the client answers');
  // The other forms axios 1.x accepts work the same way.
  for (const adapter of ['http', 'fetch', ['fetch', 'http']] as const) {
    const other = TavoSdk.createClient({ apiKey: API_KEY, adapter: adapter as 'http' | 'fetch' | ('fetch' | 'http')[] });
    check((await other.scanManagement.listScans()).total === scans.total, `adapter ${String(adapter)}`);
    await other.close();
  }
  await client.close();
});
