/** Findings across scans: list (filters; page, offset or cursor), get, triage, history. */
import * as C from '../constants.js';
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import type { FindingHistory, FindingList, ListFindingsParams, Paging, TrackedFinding, TriageStatus } from '../types/index.js';
import { Resource } from './base.js';

export interface IterFindingsParams extends Omit<ListFindingsParams, 'page' | 'offset' | 'limit' | 'cursor'> {
  page_size?: number;
}

/** Every matching finding, a keyset page at a time (stable however deep it goes). */
export class FindingPager implements AsyncIterable<TrackedFinding> {
  constructor(private readonly fetchPage: (cursor: string) => Promise<FindingList>) {}

  async *pages(): AsyncGenerator<FindingList> {
    let cursor = '';
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (!page.has_more || page.next_cursor === null || page.next_cursor === undefined) return;
      cursor = page.next_cursor;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TrackedFinding> {
    for await (const page of this.pages()) yield* page.items;
  }

  async toList(): Promise<TrackedFinding[]> {
    const items: TrackedFinding[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

export class Findings extends Resource {
  /** One page of the organisation's findings, newest first. */
  listFindings(params: ListFindingsParams = {}, options?: RequestOptions): Promise<FindingList> {
    return this.core.request({ method: 'GET', path: apiPath('findings'), query: params, options });
  }

  /** Every matching finding, fetched a keyset page at a time as iteration goes. */
  iterFindings(params: IterFindingsParams = {}, options?: RequestOptions): FindingPager {
    const { page_size: limit = C.DEFAULT_PAGE_SIZE, ...filters } = params;
    return new FindingPager((cursor) => this.listFindings({ ...filters, cursor, limit }, options));
  }

  /** One finding with its status, triage and where it was first and last seen. */
  getFinding(findingId: string, options?: RequestOptions): Promise<TrackedFinding> {
    return this.core.request({ method: 'GET', path: apiPath('findings', findingId), cacheable: false, options });
  }

  /**
   * Sets a triage state (`false_positive`, `accepted_risk`, `wont_fix`), or clears it with
   * `open`; kept across rescans and recorded in the history.
   */
  triageFinding(findingId: string, status: TriageStatus, params: { comment?: string } = {}, options?: RequestOptions): Promise<TrackedFinding> {
    const body: Record<string, unknown> = { status };
    if (params.comment !== undefined) body['comment'] = params.comment;
    return this.core.request({ method: 'PATCH', path: apiPath('findings', findingId), json: body, options });
  }

  /** A finding's history, oldest first. */
  getFindingHistory(findingId: string, params: Paging = {}, options?: RequestOptions): Promise<FindingHistory> {
    return this.core.request({ method: 'GET', path: apiPath('findings', findingId, 'history'), query: params, options });
  }
}
