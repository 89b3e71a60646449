/**
 * Request parameters and response models. Field names are the API's own (snake_case), so
 * the JSON the server sends is the object you get, with no copying or renaming. Request
 * types are checked against the server's OpenAPI document (test/openapi.test.ts); the
 * response models are checked against real responses by the contract tests.
 */

import type { components } from '../generated/openapi.js';

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFO';
/** Languages rules are written for (the server's list). */
export type Language = components['schemas']['Language'];
/** OWASP Top 10 for LLM Applications 2025 ids. */
export type OwaspLlmId = 'LLM01' | 'LLM02' | 'LLM03' | 'LLM04' | 'LLM05' | 'LLM06' | 'LLM07' | 'LLM08' | 'LLM09' | 'LLM10';
export type Verdict = 'likely_true_positive' | 'needs_review' | 'likely_false_positive';
export const SEVERITY_ORDER: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
export type ScanStatusName = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type ScanType = 'security' | 'comprehensive' | 'llm' | 'secrets' | 'code' | 'models';
export const FINISHED_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);
/** One value, or several (a list filter). */
export type OneOrMany<T> = T | readonly T[];

// --- shared -----------------------------------------------------------------------------

/** Where a page sits in the whole list: both styles, offset/limit and page/page_size. */
export interface PageInfo {
  total: number;
  offset: number;
  limit: number;
  page: number;
  page_size: number;
  has_more: boolean;
}

/** Paging of list calls: page/page_size (pages count from 0) or offset/limit, not both. */
export interface Paging {
  page?: number;
  page_size?: number;
  offset?: number;
  limit?: number;
}

/** An error about one item of a bulk request (the same fields as the error envelope). */
export interface ErrorInfo {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

// --- scans ------------------------------------------------------------------------------

export interface ScanSummary {
  total: number;
  by_severity: Record<string, number>;
  by_category: Record<string, number>;
  by_owasp_llm: Record<string, number>;
  files_scanned: number;
  files_skipped: number;
  skipped_by_reason: Record<string, number>;
  rules_run: number;
  duration_seconds: number;
  /** Findings triaged away (left out of the counts above): {total, by_status}. */
  triaged?: Record<string, unknown>;
}

/** A scan of a repository (or of uploaded code) and, once finished, its summary. */
export interface Scan {
  id: string;
  status: ScanStatusName;
  scan_type: ScanType;
  source: string;
  repository_url: string | null;
  repository_id: string | null;
  branch: string | null;
  rules: string[];
  exclusions: string[];
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  summary: ScanSummary | null;
  attempts: number;
  cancel_requested: boolean;
  /** The upload project (uploads naming one share tracked findings). */
  project: string | null;
  ref: string | null;
  base_ref: string | null;
  commit_sha: string | null;
}

/** A scan's status: small and cheap to ask for. */
export interface ScanStatus {
  id: string;
  status: ScanStatusName;
  finished: boolean;
  total_findings: number | null;
  error: string | null;
  updated_at: string | null;
}

export interface ScanList extends PageInfo {
  items: Scan[];
}

/** What the engine knows about the code around a finding. */
export interface FindingContext {
  function: string | null;
  entrypoint: string | null;
  untrusted_sources: string[];
  from_parameters: boolean;
  constant_input: boolean;
  dead_code: boolean;
  sanitizers: string[];
}

/** One step of the data flow behind a taint finding, source first. */
export interface TraceStep {
  path: string;
  line: number;
  note: string;
}

/** One finding (the same shape in the CLI's JSON, the API and SARIF). */
export interface Vulnerability {
  id: string;
  rule_id: string;
  title: string;
  message: string;
  severity: Severity;
  confidence: string | null;
  category: string | null;
  cwe: string[];
  owasp_llm: string | null;
  pack: string | null;
  path: string;
  start_line: number;
  start_column: number;
  end_line: number;
  end_column: number;
  snippet: string;
  fingerprint: string;
  fix: string | null;
  references: string[];
  autofix: string | null;
  context?: FindingContext | null;
  /** Taint findings: how the data flows from its source to the sink (empty otherwise). */
  trace?: TraceStep[];
  tags?: string[];
  /** Other rules that reported the same root cause, merged into this finding. */
  related_rules?: string[];
}

export interface ScanResults extends PageInfo {
  scan_id: string;
  scan_status: ScanStatusName;
  vulnerabilities: Vulnerability[];
  /** The triage of findings that have one, by fingerprint. */
  triaged: Record<string, ScanFindingTriage>;
}

/** The triage of one of a scan's findings (in `ScanResults.triaged`). */
export interface ScanFindingTriage {
  finding_id: string;
  status: string;
  by?: string | null;
  comment?: string | null;
}

/** Findings between two completed scans of a repository, by fingerprint. */
export interface ScanDiff {
  scan_id: string;
  base_scan_id: string;
  repository_id: string | null;
  project: string | null;
  commit_sha: string | null;
  base_commit_sha: string | null;
  counts: Record<string, number>;
  new: Vulnerability[];
  fixed: Vulnerability[];
  unchanged: Vulnerability[];
}

export interface ListScansParams extends Paging {
  status?: ScanStatusName;
}

/** A scan to create; `repository_url` is required. */
export interface CreateScanParams {
  repository_url: string;
  scan_type?: ScanType;
  branch?: string | null;
  /** Scan at this branch, tag or commit (instead of `branch`). */
  ref?: string | null;
  /** Diff-aware: report only findings new relative to this branch or tag. */
  base_ref?: string | null;
  rules?: string[];
  exclusions?: string[];
}

export interface ScanResultsParams extends Paging {
  severity?: OneOrMany<Severity>;
  rule?: OneOrMany<string>;
  path?: string;
}

export interface UploadScanParams {
  scan_type?: ScanType;
  rules?: string[];
  exclusions?: string[];
  /** Uploads naming the same project share tracked findings (`client.findings`). */
  project?: string;
}

// --- bulk -------------------------------------------------------------------------------

/** What became of `scans[index]`: a scan, or the error that stopped it. */
export interface BulkScanItem {
  index: number;
  success: boolean;
  scan_id?: string | null;
  scan?: Scan | null;
  error?: ErrorInfo | null;
}

/** `results[i]` is about the i-th scan asked for. */
export interface BulkScanResult {
  results: BulkScanItem[];
  total: number;
  created: number;
  failed: number;
}

/** The status of one scan, or NOT_FOUND. */
export interface BulkStatusItem {
  id: string;
  success: boolean;
  status?: ScanStatusName | null;
  finished?: boolean;
  total_findings?: number | null;
  /** The scan's own error text when found; {code, message, details} when not. */
  error?: string | ErrorInfo | null;
  updated_at?: string | null;
}

/** What became of the scan `id` (the `index`-th asked for) in a bulk cancel or delete. */
export interface BulkActionItem {
  index: number;
  id: string;
  success: boolean;
  /** false for a scan that had finished already. */
  cancelled?: boolean | null;
  scan?: Scan | null;
  error?: ErrorInfo | null;
}

/** `results[i]` is about the i-th id asked for. */
export interface BulkActionResult {
  results: BulkActionItem[];
  total: number;
  succeeded: number;
  failed: number;
}

export interface BulkStatusResult {
  results: BulkStatusItem[];
  total: number;
  found: number;
  not_found: number;
}

// --- repositories -----------------------------------------------------------------------

/** Finding counts of one completed scan, oldest first in a repository's trend. */
export interface TrendPoint {
  scan_id: string;
  created_at: string | null;
  finished_at: string | null;
  total: number;
  by_severity: Record<string, number>;
}

export interface Repository {
  id: string;
  url: string;
  name: string;
  default_branch: string | null;
  created_at: string | null;
  last_scan: Scan | null;
  trend: TrendPoint[];
  /** A GitHub hook secret is set (it is never shown again). */
  hooks_enabled?: boolean;
  /** Tracked findings still open: {total, by_severity}. */
  open_findings?: Record<string, unknown>;
}

export interface UpdateRepositoryParams {
  name?: string;
  /** null clears it. */
  default_branch?: string | null;
  /** Verifies inbound GitHub hooks; null clears it. Write-only. */
  hook_secret?: string | null;
  /** Credentials to fetch a private repository with; null clears them. Write-only. */
  credentials?: RepositoryCredentials | null;
}

export interface RepositoryCredentials {
  kind: 'https_token' | 'ssh_key';
  token?: string | null;
  username?: string | null;
  private_key?: string | null;
}

export interface RepositoryList extends PageInfo {
  items: Repository[];
}

export interface ListRepositoriesParams extends Paging {
  trend_size?: number;
}

export interface CreateRepositoryParams {
  url: string;
  name?: string | null;
  default_branch?: string | null;
}

// --- rules ------------------------------------------------------------------------------

export interface Rule {
  id: string;
  title: string;
  message: string;
  severity: Severity;
  confidence: string | null;
  category: string | null;
  cwe: string[];
  owasp_llm: string | null;
  languages: string[];
  pack: string | null;
  references: string[];
  fix: string | null;
  autofix: string | null;
  matcher: string | null;
  custom: boolean;
}

/** A rule with its definition and its test examples. */
export interface RuleDetail extends Rule {
  definition: Record<string, unknown>;
  examples: Record<string, unknown>;
}

export interface RulePack {
  name: string;
  custom: boolean;
  rules: number;
  languages: string[];
  severities: Record<string, number>;
  categories: string[];
  owasp_llm: string[];
}

export interface RuleList {
  items: Rule[];
  total: number;
  packs: RulePack[];
}

export interface RulePackList {
  items: RulePack[];
  total: number;
}

export interface CustomRuleFile {
  id: string;
  name: string;
  rule_ids: string[];
  size: number;
  created_at: string | null;
  /** Only when one file is fetched. */
  content?: string | null;
  /** Only in the answer to an upload. */
  replaced?: boolean | null;
  rules?: Rule[];
}

export interface CustomRuleFileList {
  items: CustomRuleFile[];
  total: number;
}

/** Filters of `listRules`; each takes one value or a list (values of one filter OR). */
export interface ListRulesParams {
  pack?: OneOrMany<string>;
  severity?: OneOrMany<Severity>;
  language?: OneOrMany<Language>;
  owasp_llm?: OneOrMany<OwaspLlmId>;
  category?: OneOrMany<string>;
}

// --- AI analysis ------------------------------------------------------------------------

export interface AIModel {
  id: string;
  kind: string;
  provider: string;
  name: string;
  description: string;
  capabilities: string[];
  local: boolean;
  limits: Record<string, unknown>;
}

export interface AIModelList {
  items: AIModel[];
  total: number;
  default_model: string | null;
}

export interface AnalysisOptions {
  fix_first_limit?: number;
  token_budget?: number | null;
  max_llm_findings?: number | null;
}

/** An analysis job: like a scan, it is queued, runs and finishes. */
export interface Analysis {
  id: string;
  scan_id: string;
  model: string;
  options: Record<string, unknown>;
  status: string;
  finished: boolean;
  error: string | null;
  summary: Record<string, unknown> | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  links: Record<string, string>;
}

export interface AnalysisList extends PageInfo {
  items: Analysis[];
}

export interface ListAnalysesParams extends Paging {
  scan_id?: string;
}

export interface RiskScore {
  score: number;
  factors: Record<string, unknown>[];
}

export interface AnalyzedFinding {
  finding_id: string;
  rule_id: string;
  fingerprint: string;
  title: string;
  severity: Severity;
  confidence: string | null;
  category: string | null;
  owasp_llm: string | null;
  path: string;
  start_line: number;
  risk: RiskScore | null;
  verdict: Verdict;
  reasons: string[];
  facts: Record<string, unknown>;
  cluster_id: string | null;
  remediation: Record<string, unknown>;
}

export interface FixFirstItem {
  rank: number;
  finding_id: string;
  risk: number;
  verdict: string;
  severity: string;
  path: string;
  start_line: number;
  cluster_id: string | null;
  covers: number;
}

export interface SecurityScore {
  score: number;
  grade: string;
  open_findings: number;
  method: string;
  top_deductions: Record<string, unknown>[];
}

export interface AnalysisResult extends PageInfo {
  analysis_id: string;
  scan_id: string;
  model: string;
  status: string;
  summary: Record<string, unknown>;
  security_score: SecurityScore | null;
  fix_first: FixFirstItem[];
  owasp_llm_coverage: Record<string, unknown>[];
  clusters: Record<string, unknown>[];
  findings: AnalyzedFinding[];
}

export interface AnalysisResultParams extends Paging {
  verdict?: OneOrMany<Verdict>;
  min_risk?: number;
}

export interface CreateAnalysisParams {
  model?: string;
  options?: AnalysisOptions;
}

/** The verdict on an uploaded model file (inspected, never loaded). */
export interface ModelFileVerdict {
  safe: boolean;
  risks: Record<string, unknown>[];
  recommendations: string[];
  confidence: number | string | null;
  analysis: Record<string, unknown>;
}

export * from './workflow.js';
export * from './users.js';
