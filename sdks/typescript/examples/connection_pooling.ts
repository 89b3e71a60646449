/**
 * The guide's "Reuse Client Instances" (good and bad) and "Connection Pooling": one client,
 * its keep-alive pool bounded by `maxConnections`, shared by concurrent calls.
 */
import { TavoSdk } from 'tavo-sdk';
import { API_KEY, check, runExample } from './_common.js';

runExample(import.meta.url, async () => {
  // ✅ Good: Reuse client for multiple requests
  const client = TavoSdk.createClient({ apiKey: API_KEY, maxConnections: 10, keepAlive: 15_000 });
  const results = await Promise.all([
    client.scanManagement.listScans(),
    client.repositories.listRepositories(),
    client.aiAnalysis.getModels(),
  ]);
  check(results[0].items && results[1].items && results[2].default_model, 'three answers');

  // ❌ Bad: Create new client for each request (each opens and drops its own connection)
  const perRequest = [0, 1, 2].map(() => TavoSdk.createClient({ apiKey: API_KEY }));
  const bad = await Promise.all([
    perRequest[0]!.scanManagement.listScans(),
    perRequest[1]!.repositories.listRepositories(),
    perRequest[2]!.aiAnalysis.getModels(),
  ]);
  check(bad[0].total === results[0].total, 'the same answers, at a higher cost');
  await Promise.all(perRequest.map((c) => c.close()));

  // Many concurrent calls share the pool of at most 10 connections.
  const many = await Promise.all(Array.from({ length: 50 }, () => client.scanManagement.listScans({ limit: 1 })));
  check(many.length === 50 && client.metrics.requestsFailed === 0, 'pooled calls');
  await client.close();
});
