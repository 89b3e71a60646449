/**
 * Scan rules: the catalogue (served from the HTTP cache while fresh; revalidated with its
 * ETag after), one rule with its examples, packs, and the organisation's custom rule files.
 */
import { apiPath } from '../core.js';
import type { RequestOptions } from '../core.js';
import type { CustomRuleFile, CustomRuleFileList, ListRulesParams, RuleDetail, RuleList, RulePackList } from '../types/index.js';
import { Resource } from './base.js';

export class ScanRules extends Resource {
  /** Built-in and custom rules with their metadata; filters combine with AND. */
  listRules(params: ListRulesParams = {}, options?: RequestOptions): Promise<RuleList> {
    return this.core.request({ method: 'GET', path: apiPath('rules'), query: params, options });
  }

  /** One rule with its definition and examples. */
  getRule(ruleId: string, options?: RequestOptions): Promise<RuleDetail> {
    return this.core.request({ method: 'GET', path: apiPath('rules', ruleId), options });
  }

  /** The rule packs. */
  listPacks(options?: RequestOptions): Promise<RulePackList> {
    return this.core.request({ method: 'GET', path: apiPath('rules', 'packs'), options });
  }

  /**
   * Uploads (or replaces, by name) a rule file of the organisation's own. The server checks
   * every rule against its examples first.
   */
  uploadCustomRules(name: string, content: string, options?: RequestOptions): Promise<CustomRuleFile> {
    return this.core.request({ method: 'POST', path: apiPath('rules', 'custom'), json: { name, content }, options });
  }

  /** The organisation's custom rule files. */
  listCustomRuleFiles(options?: RequestOptions): Promise<CustomRuleFileList> {
    return this.core.request({ method: 'GET', path: apiPath('rules', 'custom'), options });
  }

  /** One custom rule file with its content. */
  getCustomRuleFile(fileId: string, options?: RequestOptions): Promise<CustomRuleFile> {
    return this.core.request({ method: 'GET', path: apiPath('rules', 'custom', fileId), options });
  }

  /** Deletes a custom rule file. */
  async deleteCustomRuleFile(fileId: string, options?: RequestOptions): Promise<void> {
    await this.core.request({ method: 'DELETE', path: apiPath('rules', 'custom', fileId), options });
  }
}
