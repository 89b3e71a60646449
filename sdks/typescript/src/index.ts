/**
 * tavo-sdk: the TypeScript/JavaScript client of the Tavo AI-security platform.
 *
 *     import { TavoSdk } from 'tavo-sdk';
 *     const client = TavoSdk.createClient({ apiKey: process.env.TAVO_API_KEY });
 *     const scan = await client.scanManagement.createScan({ repository_url: 'https://...' });
 *     const final = await client.scanManagement.waitForScan(scan.id);
 *     for await (const finding of client.scanManagement.iterResults(scan.id)) { ... }
 */
export { TavoClient, TavoSdk } from './client.js';
export type { ClientOptions } from './client.js';
export { CircuitBreaker } from './circuit.js';
export type { CircuitBreakerOptions, CircuitState } from './circuit.js';
export type { APIRequest, AttemptInfo, CallInfo, Hooks, RateLimitInfo, RequestOptions, ResponseInfo, RetryInfo } from './core.js';
export {
  CircuitBreakerOpenError,
  CircuitOpenError,
  TavoAPIError,
  TavoAbortError,
  TavoAuthError,
  TavoConfigError,
  TavoConflictError,
  TavoConnectionError,
  TavoError,
  TavoNotFoundError,
  TavoRateLimitError,
  TavoResponseError,
  TavoServerError,
  TavoTimeoutError,
  TavoValidationError,
} from './errors.js';
export type { FieldError } from './errors.js';
export { Metrics } from './metrics.js';
export type { MetricsSnapshot } from './metrics.js';
export { Pager } from './pagination.js';
export { KeyBudget } from './ratelimit.js';
export { RetryPolicy } from './retry.js';
export type { RetryPolicyOptions } from './retry.js';
export type { ServerSentEvent } from './sse.js';
export type { TLSOptions, Transport, TransportRequest, TransportResponse, TransportStream } from './transport.js';
export { AxiosTransport } from './transports/axios.js';
export type { AxiosAdapterOption, AxiosLike } from './transports/axios.js';
export { UndiciTransport } from './transports/undici.js';
export { AIAnalysis } from './resources/ai-analysis.js';
export { FindingPager, Findings } from './resources/findings.js';
export { Schedules } from './resources/schedules.js';
export { Users } from './resources/users.js';
export { Webhooks } from './resources/webhooks.js';
export { AuditLogResource, UsageResource } from './resources/account.js';
export type { AuditLog, Usage } from './resources/account.js';
export { DEFAULT_WEBHOOK_TOLERANCE_SECONDS, WebhookVerificationError, verifyWebhook } from './webhooks.js';
export { Repositories } from './resources/repositories.js';
export { ScanBulkOperations } from './resources/scan-bulk-operations.js';
export { ScanManagement } from './resources/scan-management.js';
export { ScanRules } from './resources/scan-rules.js';
export * from './types/index.js';
export { VERSION } from './constants.js';
/** The server's OpenAPI document as types (the operations the SDK calls), generated. */
export type { components as OpenAPIComponents, operations as OpenAPIOperations, paths as OpenAPIPaths } from './generated/openapi.js';
export { packDirectory } from './packing.js';
