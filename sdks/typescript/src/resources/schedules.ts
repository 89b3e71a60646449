/** Scheduled scans: a repository scanned at each tick of a cron expression. */
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import type { CreateScheduleParams, Paging, Schedule, ScheduleList } from '../types/index.js';
import { Resource } from './base.js';

export class Schedules extends Resource {
  /** Scans `repository` (id or URL) at each tick of `cron` read in `timezone` (default UTC). */
  createSchedule(repository: string, cron: string, params: CreateScheduleParams = {}, options?: RequestOptions): Promise<Schedule> {
    const body: Record<string, unknown> = { repository, cron, timezone: params.timezone ?? 'UTC' };
    if (params.scan_type !== undefined) body['scan_type'] = params.scan_type;
    if (params.ref !== undefined) body['ref'] = params.ref;
    return this.core.request({ method: 'POST', path: apiPath('schedules'), json: body, options });
  }

  listSchedules(params: Paging = {}, options?: RequestOptions): Promise<ScheduleList> {
    return this.core.request({ method: 'GET', path: apiPath('schedules'), query: params, cacheable: false, options });
  }

  /** A schedule with its recent runs (newest first). */
  getSchedule(scheduleId: string, options?: RequestOptions): Promise<Schedule> {
    return this.core.request({ method: 'GET', path: apiPath('schedules', scheduleId), cacheable: false, options });
  }

  async deleteSchedule(scheduleId: string, options?: RequestOptions): Promise<void> {
    await this.core.request({ method: 'DELETE', path: apiPath('schedules', scheduleId), options });
  }
}
