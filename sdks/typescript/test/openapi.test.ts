/**
 * The SDK's request types against the server's OpenAPI document, twice over:
 *
 * - at compile time (tsc --noEmit over the tests): each params type the SDK takes has exactly
 *   the query parameters / body fields of its operation in the generated types
 *   (src/generated/openapi.ts, openapi-typescript), with values the server accepts;
 * - at run time: the generated file is what the live server's document generates today, and
 *   every operation the SDK calls is in it.
 *
 * (The server describes its responses as plain strings, so response models are checked
 * against real responses by contract.test.ts instead.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type {
  AnalysisOptions,
  AnalysisResultParams,
  CreateRepositoryParams,
  CreateScanParams,
  ListAnalysesParams,
  ListFindingsParams,
  Paging,
  TriageStatus,
  UpdateRepositoryParams,
  UpdateWebhookParams,
  WebhookEventType,
  CreateScheduleParams,
  ListRepositoriesParams,
  ListRulesParams,
  ListScansParams,
  OpenAPIComponents,
  OpenAPIPaths,
  ScanResultsParams,
  UploadScanParams,
} from 'tavo-sdk';
import { BASE_URL } from './helpers.js';

// --- compile-time checks ----------------------------------------------------------------

type Schemas = OpenAPIComponents['schemas'];
type Query<P extends keyof OpenAPIPaths, M extends 'get' | 'post' | 'patch'> = OpenAPIPaths[P][M] extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type Element<T> = T extends readonly (infer E)[] ? E : T;
/** Per key, the element type of its value (a list filter takes one value or several). */
type Values<T> = { [K in keyof T]-?: Element<Exclude<T[K], undefined | null>> };
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : { sdkOnly: Exclude<keyof A, keyof B>; serverOnly: Exclude<keyof B, keyof A> };
/** The SDK's params type has the operation's keys, and every value it allows is accepted. */
type Matches<SDK, Server> = SameKeys<SDK, Server> extends true ? (Values<SDK> extends Values<Server> ? true : 'a value the server does not accept') : SameKeys<SDK, Server>;
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : 'the server type is wider') : 'the SDK type is wider';
type Expect<T extends true> = T;

export type Checks = [
  Expect<Matches<ListScansParams, Query<'/api/v1/scans', 'get'>>>,
  Expect<Matches<ScanResultsParams, Query<'/api/v1/scans/{scan_id}/results', 'get'>>>,
  Expect<Matches<UploadScanParams, Query<'/api/v1/uploads/scans', 'post'>>>,
  Expect<Matches<ListRepositoriesParams, Query<'/api/v1/repositories', 'get'>>>,
  Expect<Matches<{ trend_size?: number }, Query<'/api/v1/repositories/{reference}', 'get'>>>,
  Expect<Matches<{ url: string; trend_size?: number }, Query<'/api/v1/repositories/lookup', 'get'>>>,
  Expect<Matches<ListRulesParams, Query<'/api/v1/rules', 'get'>>>,
  Expect<Matches<ListAnalysesParams, Query<'/api/v1/ai/analyses', 'get'>>>,
  Expect<Matches<AnalysisResultParams, Query<'/api/v1/ai/analyses/{analysis_id}/result', 'get'>>>,
  Expect<Matches<{ wait?: number }, Query<'/api/v1/ai/analyses/{analysis_id}', 'get'>>>,
  Expect<Matches<{ filename?: string }, Query<'/api/v1/ai/analyze', 'post'>>>,
  Expect<Mutual<CreateScanParams, Schemas['ScanCreate']>>,
  Expect<Mutual<CreateRepositoryParams, Schemas['RepositoryCreate']>>,
  Expect<Mutual<AnalysisOptions, Schemas['AnalysisOptions']>>,
  Expect<Mutual<{ scan_id: string; model?: string; options?: AnalysisOptions }, Schemas['AnalysisCreate']>>,
  Expect<Mutual<{ name: string; content: string }, Schemas['CustomRuleFileUpload']>>,
  Expect<Mutual<{ scan_ids: string[] }, Schemas['BulkStatusRequest']>>,
  Expect<Matches<ListFindingsParams, Query<'/api/v1/findings', 'get'>>>,
  Expect<Matches<Paging, Query<'/api/v1/findings/{finding_id}/history', 'get'>>>,
  Expect<Matches<{ base: string }, Query<'/api/v1/scans/{scan_id}/diff', 'get'>>>,
  Expect<Mutual<{ status: TriageStatus; comment?: string }, Pick<Schemas['FindingTriage'], 'status'> & { comment?: string }>>,
  Expect<SameKeys<{ status: TriageStatus; comment?: string }, Schemas['FindingTriage']>>,
  Expect<Matches<UpdateRepositoryParams, Schemas['RepositoryUpdate']>>,
  Expect<Matches<Paging, Query<'/api/v1/webhooks', 'get'>>>,
  Expect<Matches<Paging, Query<'/api/v1/webhooks/{webhook_id}/deliveries', 'get'>>>,
  Expect<Matches<Paging, Query<'/api/v1/schedules', 'get'>>>,
  Expect<Mutual<{ url: string; events: WebhookEventType[]; description?: string }, Schemas['WebhookCreate']>>,
  Expect<Matches<UpdateWebhookParams, Schemas['WebhookUpdate']>>,
  Expect<Matches<CreateScheduleParams & { repository: string; cron: string }, Schemas['ScheduleCreate']>>,
];

// --- run-time checks --------------------------------------------------------------------

interface Generator {
  fetchDocument(baseURL: string): Promise<unknown>;
  missingOperations(document: unknown): string[];
  generate(document: unknown): Promise<string>;
}

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('OpenAPI', () => {
  it("the generated types are what the live server's document generates", async () => {
    const generator = (await import(join(packageDir, 'scripts', 'openapi-types.mjs'))) as Generator;
    const document = await generator.fetchDocument(BASE_URL);
    assert.deepEqual(generator.missingOperations(document), [], 'operations the SDK calls that the server lacks');
    const committed = readFileSync(join(packageDir, 'src', 'generated', 'openapi.ts'), 'utf8');
    const fresh = await generator.generate(document);
    assert.ok(
      fresh === committed,
      'the API changed: regenerate with `node scripts/openapi-types.mjs <server URL>` in sdks/typescript, ' +
        'then fix the SDK types that tsc reports in test/openapi.test.ts',
    );
  });
});
