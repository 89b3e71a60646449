/** Repositories: register, list, and get by id or by URL (with last scan and trend). */
import * as C from '../constants.js';
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import { Pager } from '../pagination.js';
import type { CreateRepositoryParams, ListRepositoriesParams, Repository, RepositoryList, UpdateRepositoryParams } from '../types/index.js';
import { Resource } from './base.js';

export interface IterRepositoriesParams {
  page_size?: number;
  trend_size?: number;
}

export class Repositories extends Resource {
  /** One page of the organisation's repositories with their last scan and trend. */
  listRepositories(params: ListRepositoriesParams = {}, options?: RequestOptions): Promise<RepositoryList> {
    return this.core.request({ method: 'GET', path: apiPath('repositories'), query: params, options });
  }

  /** Every repository, fetched a page at a time as iteration goes. */
  iterRepositories(params: IterRepositoriesParams = {}, options?: RequestOptions): Pager<RepositoryList, Repository> {
    const { page_size: pageSize = C.DEFAULT_PAGE_SIZE, ...rest } = params;
    return new Pager(
      (offset, limit) => this.listRepositories({ ...rest, offset, limit }, options),
      (page) => page.items,
      pageSize,
      (item) => item.id,
    );
  }

  /** A repository by id (`repo_...`) or by URL (trailing slash and `.git` ignored). */
  getRepository(repository: string, params: { trend_size?: number } = {}, options?: RequestOptions): Promise<Repository> {
    if (repository.startsWith('repo_') && !repository.includes('/') && !repository.includes(':')) {
      return this.core.request({ method: 'GET', path: apiPath('repositories', repository), query: params, options });
    }
    // A URL: looked up by query parameter, which keeps every character of it intact.
    return this.core.request({ method: 'GET', path: apiPath('repositories', 'lookup'), query: { url: repository, ...params }, options });
  }

  /** Registers a repository (returns the existing one for a known URL). */
  createRepository(params: CreateRepositoryParams, options?: RequestOptions): Promise<Repository> {
    return this.core.request({ method: 'POST', path: apiPath('repositories'), json: params, options });
  }

  /**
   * Changes what is given (null clears `default_branch` or `hook_secret`), by id or URL. The
   * hook secret verifies inbound GitHub hooks; it is never shown again (`hooks_enabled`).
   */
  updateRepository(repository: string, params: UpdateRepositoryParams, options?: RequestOptions): Promise<Repository> {
    return this.core.request({ method: 'PATCH', path: apiPath('repositories', repository), json: params, options });
  }

  /** Deletes the repository with its scans, findings and schedules. */
  async deleteRepository(repository: string, options?: RequestOptions): Promise<void> {
    await this.core.request({ method: 'DELETE', path: apiPath('repositories', repository), options });
  }
}
