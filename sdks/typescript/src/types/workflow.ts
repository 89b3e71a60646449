/** The workflow around scans: findings tracked across scans, webhooks, schedules. */
import type { OneOrMany, OwaspLlmId, PageInfo, Paging, ScanType, Severity, Vulnerability } from './index.js';

// --- findings across scans ------------------------------------------------------------------

export type FindingStatus = 'open' | 'fixed' | 'reopened' | 'false_positive' | 'accepted_risk' | 'wont_fix';
export type TriageStatus = 'open' | 'false_positive' | 'accepted_risk' | 'wont_fix';

/** A person's verdict on a finding: who, when, why. */
export interface FindingTriage {
  status: string;
  by: string | null;
  at: string | null;
  comment: string | null;
}

/**
 * A finding with a life across scans: identified by its fingerprint within a repository (or
 * upload project), with its status and where it was first and last seen.
 */
export interface TrackedFinding extends Vulnerability {
  repository_id: string | null;
  project: string | null;
  status: FindingStatus;
  detection_status: string;
  triage: FindingTriage | null;
  first_seen_scan_id: string | null;
  last_seen_scan_id: string | null;
  fixed_scan_id: string | null;
  first_seen_at: string | null;
  last_seen_at: string | null;
  updated_at: string | null;
}

/** One page of findings; `next_cursor` continues a keyset (cursor) listing. */
export interface FindingList extends PageInfo {
  items: TrackedFinding[];
  next_cursor: string | null;
  next: string | null;
}

/** One step of a finding's history: detected, fixed, reopened or triaged. */
export interface FindingEvent {
  kind: string;
  to_status: string;
  from_status: string | null;
  actor: string | null;
  comment: string | null;
  scan_id: string | null;
  at: string | null;
}

export interface FindingHistory extends PageInfo {
  finding_id: string;
  items: FindingEvent[];
}

/** Filters and paging of `listFindings`: page/page_size, offset/limit, or cursor. */
export interface ListFindingsParams extends Paging {
  repository?: string;
  project?: string;
  status?: OneOrMany<FindingStatus>;
  severity?: OneOrMany<Severity>;
  rule?: OneOrMany<string>;
  category?: OneOrMany<string>;
  owasp_llm?: OneOrMany<OwaspLlmId>;
  path?: string;
  first_seen_after?: string;
  /** "" for the first page of a keyset listing, then each page's `next_cursor`. */
  cursor?: string;
}

// --- webhooks and schedules ---------------------------------------------------------------

export type WebhookEventType = 'scan.completed' | 'scan.failed' | 'finding.new' | 'finding.triaged';

/** An outbound webhook; `secret` only in the answers to a create or a secret rotation. */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  description: string;
  active: boolean;
  created_at: string | null;
  updated_at: string | null;
  secret?: string | null;
}

export interface WebhookList extends PageInfo {
  items: Webhook[];
}

/** One delivery of an event: `pending`, `delivering`, `succeeded` or `failed`. */
export interface WebhookDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_duration_ms: number | null;
  redelivery_of: string | null;
  created_at: string | null;
  delivered_at: string | null;
}

export interface WebhookDeliveryList extends PageInfo {
  items: WebhookDelivery[];
}

/** What a webhook delivers (the verified body, from `verifyWebhook`). */
export interface WebhookEvent {
  id: string;
  type: string;
  created_at: string | null;
  data: Record<string, unknown>;
}

export interface UpdateWebhookParams {
  url?: string;
  events?: WebhookEventType[];
  description?: string;
  active?: boolean;
  /** The answer then carries the new secret. */
  rotate_secret?: boolean;
}

export interface ScheduleRun {
  tick: string;
  scan_id: string;
  fired_at: string | null;
}

/** A repository scanned at each tick of a cron expression read in a time zone. */
export interface Schedule {
  id: string;
  repository_id: string;
  cron: string;
  timezone: string;
  scan_type: string;
  ref: string | null;
  next_run_at: string | null;
  last_run_at: string | null;
  last_scan_id: string | null;
  created_at: string | null;
  /** Only from `getSchedule` (newest first). */
  recent_runs?: ScheduleRun[];
}

export interface ScheduleList extends PageInfo {
  items: Schedule[];
}

export interface CreateScheduleParams {
  timezone?: string;
  scan_type?: ScanType;
  ref?: string;
}
