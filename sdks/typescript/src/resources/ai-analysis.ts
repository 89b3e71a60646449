/**
 * AI analysis of finished scans: the models, analysis jobs and their results, and verdicts
 * on model files. `analyzeScan` does it all: starts the analysis, waits for it (the server
 * long-polls, so waiting costs a request a minute at most) and returns the whole result.
 */
import * as C from '../constants.js';
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import { TavoTimeoutError } from '../errors.js';
import { Pager } from '../pagination.js';
import type {
  AIModelList,
  Analysis,
  AnalysisList,
  AnalysisResult,
  AnalysisResultParams,
  AnalyzedFinding,
  CreateAnalysisParams,
  ListAnalysesParams,
  ModelFileVerdict,
} from '../types/index.js';
import { Resource, deadline, fileBytes, withSignal } from './base.js';

export interface AnalyzeScanParams extends CreateAnalysisParams {
  /** Give up waiting after this many ms (default 10 minutes). */
  timeout?: number;
}

export interface IterFindingsParams extends Omit<AnalysisResultParams, 'page' | 'offset' | 'limit'> {
  page_size?: number;
}

export class AIAnalysis extends Resource {
  /** The analysis models this server offers (cached while fresh). */
  getModels(options?: RequestOptions): Promise<AIModelList> {
    return this.core.request({ method: 'GET', path: apiPath('ai', 'models'), options });
  }

  /**
   * Analyses a completed scan and returns the whole result (every finding's risk, verdict
   * and remediation; the fix-first list; the security score; coverage).
   */
  async analyzeScan(scanId: string, params: AnalyzeScanParams = {}, options?: RequestOptions): Promise<AnalysisResult> {
    const { timeout = C.DEFAULT_SCAN_WAIT_TIMEOUT_MS, ...create } = params;
    const job = await this.createAnalysis(scanId, create, options);
    await this.waitForAnalysis(job.id, { ...options, timeout });
    const pages: AnalysisResult[] = [];
    for await (const page of this.iterFindings(job.id, {}, options).pages()) pages.push(page);
    const first = pages[0] as AnalysisResult;
    const findings = pages.flatMap((page) => page.findings);
    return { ...first, findings, offset: 0, limit: findings.length, page: 0, page_size: findings.length, has_more: false };
  }

  /** Starts an analysis of a completed scan (the server's default model unless named). */
  createAnalysis(scanId: string, params: CreateAnalysisParams = {}, options?: RequestOptions): Promise<Analysis> {
    const body: Record<string, unknown> = { scan_id: scanId };
    if (params.model !== undefined) body['model'] = params.model;
    if (params.options !== undefined) body['options'] = params.options;
    return this.core.request({ method: 'POST', path: apiPath('ai', 'analyses'), json: body, options });
  }

  /**
   * An analysis job; with `wait` (ms), the server answers when it finishes or after that
   * long (at most 60 s).
   */
  getAnalysis(analysisId: string, params: { wait?: number } = {}, options?: RequestOptions): Promise<Analysis> {
    const wait = Math.min(Math.max(0, params.wait ?? 0), C.MAX_ANALYSIS_SERVER_WAIT_MS);
    // The attempt's timeout must outlast the server's long poll.
    const timeout = (options?.timeout ?? this.core.settings.timeoutMs ?? 0) + wait;
    return this.core.request({
      method: 'GET',
      path: apiPath('ai', 'analyses', analysisId),
      query: wait > 0 ? { wait: Math.round(wait) / 1000 } : undefined,
      cacheable: false,
      options: { ...options, timeout },
    });
  }

  /** Waits until the analysis is finished and returns the job. */
  async waitForAnalysis(analysisId: string, options: RequestOptions & { timeout?: number } = {}): Promise<Analysis> {
    const { timeout = C.DEFAULT_SCAN_WAIT_TIMEOUT_MS, ...rest } = options;
    const wait = deadline(timeout, rest, `analysis ${analysisId}`);
    try {
      for (;;) {
        const job = await this.getAnalysis(analysisId, { wait: wait.left() }, withSignal(rest, wait.signal));
        if (job.finished) return job;
        if (wait.left() <= 0) throw new TavoTimeoutError(`analysis ${analysisId} did not finish within ${timeout / 1000}s`);
      }
    } catch (error) {
      throw wait.translate(error);
    } finally {
      wait.dispose();
    }
  }

  /** The organisation's analyses (of one scan). */
  listAnalyses(params: ListAnalysesParams = {}, options?: RequestOptions): Promise<AnalysisList> {
    return this.core.request({ method: 'GET', path: apiPath('ai', 'analyses'), query: params, options });
  }

  /** One page of a finished analysis's findings, with the scan-level parts. */
  getAnalysisResult(analysisId: string, params: AnalysisResultParams = {}, options?: RequestOptions): Promise<AnalysisResult> {
    return this.core.request({ method: 'GET', path: apiPath('ai', 'analyses', analysisId, 'result'), query: params, options });
  }

  /** Every analysed finding, a page at a time as iteration goes. */
  iterFindings(analysisId: string, params: IterFindingsParams = {}, options?: RequestOptions): Pager<AnalysisResult, AnalyzedFinding> {
    const { page_size: pageSize = C.ANALYSIS_RESULT_PAGE, ...filters } = params;
    return new Pager(
      (offset, limit) => this.getAnalysisResult(analysisId, { ...filters, offset, limit }, options),
      (page) => page.findings,
      pageSize,
      (finding) => finding.finding_id,
    );
  }

  /**
   * A verdict on a model file (pickle, PyTorch, joblib, Keras, safetensors, ONNX, GGUF) from
   * its bytes or path; the server inspects it and never loads it.
   */
  async analyzeModelFile(modelFile: Uint8Array | string, params: { filename?: string } = {}, options?: RequestOptions): Promise<ModelFileVerdict> {
    const [body, name] = await fileBytes(modelFile);
    const filename = params.filename ?? name;
    return this.core.request({
      method: 'POST',
      path: apiPath('ai', 'analyze'),
      query: filename ? { filename } : undefined,
      body,
      contentType: 'application/octet-stream',
      options,
    });
  }
}
