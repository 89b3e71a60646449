/** The organisation's own records: API usage, and the audit log of changes. */
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import { Resource } from './base.js';

/** API usage over recent days (the server's JSON, as sent). */
export type Usage = Record<string, unknown>;
/** One page of the audit log (the server's JSON, as sent). */
export type AuditLog = Record<string, unknown>;

export class UsageResource extends Resource {
  /** Requests and scans over the last `days` days; for the whole organisation with `organization`. */
  getUsage(params: { days?: number; organization?: boolean } = {}, options?: RequestOptions): Promise<Usage> {
    const query = { days: params.days ?? 30, ...(params.organization ? { organization: true } : {}) };
    return this.core.request({ method: 'GET', path: apiPath('usage'), query, cacheable: false, options });
  }
}

export class AuditLogResource extends Resource {
  /** Changes made in the organisation, newest first, filtered by action or target. */
  listAuditLog(params: { action?: string; target_id?: string; offset?: number; limit?: number } = {}, options?: RequestOptions): Promise<AuditLog> {
    return this.core.request({ method: 'GET', path: apiPath('audit-log'), query: params, cacheable: false, options });
  }
}
