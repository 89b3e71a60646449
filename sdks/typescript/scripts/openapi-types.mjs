// The request types of the endpoints the SDK calls, generated with openapi-typescript from
// the server's OpenAPI document (only those operations and the schemas they use, so that
// endpoints the SDK does not call can change freely).
//
//   node scripts/openapi-types.mjs http://127.0.0.1:8700    # rewrites src/generated/openapi.ts
//
// test/openapi.test.ts regenerates the file from the live server and compares.
import { writeFileSync } from 'node:fs';
import openapiTS, { astToString } from 'openapi-typescript';

/** [method, path] of every operation the SDK calls. */
export const SDK_OPERATIONS = [
  ['get', '/api/v1/scans'],
  ['post', '/api/v1/scans'],
  ['get', '/api/v1/scans/{scan_id}'],
  ['delete', '/api/v1/scans/{scan_id}'],
  ['get', '/api/v1/scans/{scan_id}/status'],
  ['get', '/api/v1/scans/{scan_id}/results'],
  ['post', '/api/v1/scans/{scan_id}/cancel'],
  ['get', '/api/v1/scans/{scan_id}/diff'],
  ['get', '/api/v1/scans/{scan_id}/results.sarif'],
  ['get', '/api/v1/scans/{scan_id}/events'],
  ['post', '/api/v1/scans/bulk'],
  ['post', '/api/v1/scans/bulk/status'],
  ['post', '/api/v1/scans/bulk/cancel'],
  ['post', '/api/v1/scans/bulk/delete'],
  ['post', '/api/v1/uploads/scans'],
  ['get', '/api/v1/repositories'],
  ['post', '/api/v1/repositories'],
  ['get', '/api/v1/repositories/lookup'],
  ['get', '/api/v1/repositories/{reference}'],
  ['patch', '/api/v1/repositories/{reference}'],
  ['delete', '/api/v1/repositories/{reference}'],
  ['get', '/api/v1/rules'],
  ['get', '/api/v1/rules/packs'],
  ['get', '/api/v1/rules/{rule_id}'],
  ['get', '/api/v1/rules/custom'],
  ['post', '/api/v1/rules/custom'],
  ['get', '/api/v1/rules/custom/{file_id}'],
  ['delete', '/api/v1/rules/custom/{file_id}'],
  ['get', '/api/v1/ai/models'],
  ['post', '/api/v1/ai/analyses'],
  ['get', '/api/v1/ai/analyses'],
  ['get', '/api/v1/ai/analyses/{analysis_id}'],
  ['get', '/api/v1/ai/analyses/{analysis_id}/result'],
  ['post', '/api/v1/ai/analyze'],
  ['get', '/api/v1/findings'],
  ['get', '/api/v1/findings/{finding_id}'],
  ['patch', '/api/v1/findings/{finding_id}'],
  ['get', '/api/v1/findings/{finding_id}/history'],
  ['post', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks/{webhook_id}'],
  ['patch', '/api/v1/webhooks/{webhook_id}'],
  ['delete', '/api/v1/webhooks/{webhook_id}'],
  ['get', '/api/v1/webhooks/{webhook_id}/deliveries'],
  ['post', '/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver'],
  ['post', '/api/v1/schedules'],
  ['get', '/api/v1/schedules'],
  ['get', '/api/v1/schedules/{schedule_id}'],
  ['delete', '/api/v1/schedules/{schedule_id}'],
];

export async function fetchDocument(baseURL) {
  const response = await fetch(`${baseURL.replace(/\/$/, '')}/api/v1/openapi.json`);
  if (!response.ok) throw new Error(`GET openapi.json: HTTP ${response.status}`);
  return response.json();
}

/** The SDK's operations that the document lacks. */
export function missingOperations(document) {
  return SDK_OPERATIONS.filter(([method, path]) => !document.paths?.[path]?.[method]).map(([m, p]) => `${m.toUpperCase()} ${p}`);
}

/** The document cut down to the SDK's operations and the schemas they reach. */
export function sdkSubset(document) {
  const paths = {};
  for (const [method, path] of SDK_OPERATIONS) {
    const operation = document.paths?.[path]?.[method];
    if (operation) (paths[path] ??= {})[method] = operation;
  }
  const schemas = document.components?.schemas ?? {};
  const kept = {};
  const visit = (value) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const ref = value.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      if (!(name in kept) && name in schemas) {
        kept[name] = schemas[name];
        visit(schemas[name]);
      }
    }
    Object.values(value).forEach(visit);
  };
  visit(paths);
  // Prose is not contract: descriptions, titles and operation ids (handler names) may change
  // without the types changing.
  // (The names under `properties` are fields, kept whatever they are called.)
  const bare = (value, fields = false) => {
    if (Array.isArray(value)) return value.map((item) => bare(item));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => fields || !['description', 'summary', 'title', 'example', 'examples', 'tags', 'operationId'].includes(key))
        .map(([key, item]) => [key, bare(item, !fields && key === 'properties')]),
    );
  };
  for (const path of Object.keys(paths)) paths[path] = bare(paths[path]);
  for (const name of Object.keys(kept)) kept[name] = bare(kept[name]);
  const sorted = Object.fromEntries(Object.keys(kept).sort().map((name) => [name, kept[name]]));
  return { openapi: document.openapi, info: { title: document.info?.title ?? 'Tavo', version: '0' }, paths, components: { schemas: sorted } };
}

export async function generate(document) {
  // A field with a default may be left out of a request: optional, not required.
  const ast = await openapiTS(sdkSubset(document), { defaultNonNullable: false });
  return (
    '/**\n * Generated by scripts/openapi-types.mjs (openapi-typescript) from the server\'s OpenAPI\n' +
    ' * document: the operations the SDK calls. Do not edit; regenerate when the API changes.\n */\n\n' +
    astToString(ast)
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const baseURL = process.argv[2] ?? 'http://127.0.0.1:8700';
  const document = await fetchDocument(baseURL);
  const missing = missingOperations(document);
  if (missing.length) throw new Error(`the server lacks: ${missing.join(', ')}`);
  writeFileSync(new URL('../src/generated/openapi.ts', import.meta.url), await generate(document));
  console.log('wrote src/generated/openapi.ts');
}
