/**
 * The SDK against the real server: every resource method, on each transport (undici, axios
 * with its 'http' and 'fetch' adapters), with responses checked against the models' fields.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  TavoAuthError,
  TavoNotFoundError,
  TavoValidationError,
} from 'tavo-sdk';
import type { Scan, TavoClient } from 'tavo-sdk';
import { FLAVOURS, REPO_URL, SEED_RULES, client, finishedScan, unlimitedKey, withClient } from './helpers.js';

/** The fields each model declares, to compare with what the server sends. */
const SCAN_FIELDS = ['id', 'status', 'scan_type', 'source', 'repository_url', 'repository_id', 'branch', 'rules', 'exclusions',
  'created_at', 'started_at', 'finished_at', 'error', 'summary', 'attempts', 'cancel_requested', 'project', 'ref', 'base_ref', 'commit_sha'];
const STATUS_FIELDS = ['id', 'status', 'finished', 'total_findings', 'error', 'updated_at'];
const PAGE_FIELDS = ['total', 'offset', 'limit', 'page', 'page_size', 'has_more'];
const VULNERABILITY_FIELDS = ['id', 'rule_id', 'title', 'message', 'severity', 'confidence', 'category', 'cwe', 'owasp_llm',
  'pack', 'path', 'start_line', 'start_column', 'end_line', 'end_column', 'snippet', 'fingerprint', 'fix', 'references',
  'autofix', 'context', 'trace', 'tags', 'related_rules'];

function hasFields(value: object, fields: string[], what: string): void {
  const keys = Object.keys(value);
  const missing = fields.filter((field) => !keys.includes(field));
  assert.deepEqual(missing, [], `${what}: fields the model declares but the server did not send`);
  const unknown = keys.filter((key) => !fields.includes(key));
  assert.deepEqual(unknown, [], `${what}: fields the server sent that the model does not declare`);
}

describe('contract', () => {
  let orgKey: string;
  let scanId: string;
  before(async () => {
    orgKey = await unlimitedKey();
    scanId = await finishedScan(orgKey);
  });

  for (const flavour of FLAVOURS) {
    describe(flavour.name, () => {
      it('reads a finished scan, its results in both paging styles, and repositories', async () => {
        await withClient(orgKey, flavour.options, async (c: TavoClient) => {
          const scan = await c.scanManagement.getScan(scanId);
          hasFields(scan, SCAN_FIELDS, 'Scan');
          assert.equal(scan.status, 'completed');
          assert.ok(scan.summary && scan.summary.total >= 2);
          const status = await c.scanManagement.getScanStatus(scanId);
          hasFields(status, STATUS_FIELDS, 'ScanStatus');
          assert.ok(status.finished);
          assert.equal(status.total_findings, scan.summary.total);

          const byPage = await c.scanManagement.listScans({ page: 0, page_size: 100, status: 'completed' });
          const byOffset = await c.scanManagement.listScans({ status: 'completed', limit: 100 });
          hasFields(byPage, [...PAGE_FIELDS, 'items'], 'ScanList');
          assert.ok(byPage.items.some((s: Scan) => s.id === scanId));
          assert.deepEqual(byPage.items.map((s) => s.id), byOffset.items.map((s) => s.id));

          const first = await c.scanManagement.getScanResults(scanId, { offset: 0, limit: 1 });
          assert.equal(first.vulnerabilities.length, 1);
          const finding = first.vulnerabilities[0]!;
          hasFields(finding, VULNERABILITY_FIELDS, 'Vulnerability');
          // Typed as the server sends them: a flow's steps, tags, rules merged into it.
          const steps: number[] = (finding.trace ?? []).map((step) => step.line);
          assert.ok(steps.every((line) => line > 0));
          assert.ok(Array.isArray(finding.tags) && Array.isArray(finding.related_rules));
          assert.ok(first.has_more);
          assert.equal(first.total, scan.summary.total);
          // Style 1: item by item.
          const every = [];
          for await (const finding of c.scanManagement.iterResults(scanId, { page_size: 1 })) every.push(finding);
          assert.equal(every.length, scan.summary.total);
          assert.equal(new Set(every.map((v) => v.id)).size, every.length);
          // Style 2: page by page.
          const pages = [];
          for await (const page of c.scanManagement.iterResults(scanId, { page_size: 1 }).pages()) pages.push(page);
          assert.equal(pages.length, scan.summary.total);
          assert.deepEqual(await c.scanManagement.iterResults(scanId).toList(), every);
          const high = await c.scanManagement.getScanResults(scanId, { severity: ['HIGH', 'CRITICAL'] });
          assert.ok(high.vulnerabilities.every((v) => v.severity === 'HIGH' || v.severity === 'CRITICAL'));

          const byUrl = await c.repositories.getRepository(REPO_URL);
          assert.ok(byUrl.last_scan);
          const byId = await c.repositories.getRepository(byUrl.id, { trend_size: 3 });
          assert.equal(byId.url, byUrl.url);
          const repositories = await c.repositories.listRepositories({ page: 0 });
          assert.ok(repositories.items.some((r) => r.id === byUrl.id));
          const iterated = await c.repositories.iterRepositories().toList();
          assert.ok(iterated.some((r) => r.id === byUrl.id));
          assert.ok((await c.scanManagement.iterScans({ status: 'completed' }).toList()).some((s) => s.id === scanId));
        });
      });

      it('creates, cancels, deletes, and works in bulk', async () => {
        const key = await unlimitedKey();
        await withClient(key, flavour.options, async (c) => {
          const scan = await c.scanManagement.createScan({ repository_url: REPO_URL, scan_type: 'security' });
          assert.ok(['queued', 'running', 'completed'].includes(scan.status));
          const cancelled = await c.scanManagement.cancelScan(scan.id);
          assert.ok(cancelled.cancel_requested || cancelled.status === 'cancelled' || cancelled.status === 'completed');
          const final = await c.scanManagement.waitForScan(scan.id, { timeout: 120_000 });
          assert.ok(final.finished);
          await c.scanManagement.deleteScan(scan.id);
          await assert.rejects(c.scanManagement.getScan(scan.id), TavoNotFoundError);

          const bulk = await c.scanBulkOperations.createBulkScans([
            { repository_url: REPO_URL, scan_type: 'secrets' },
            { repository_url: 'not a url' },
          ]);
          assert.deepEqual([bulk.created, bulk.failed], [1, 1]);
          assert.equal(bulk.results[1]?.error?.code, 'INVALID_REPOSITORY_URL');
          const created = bulk.results[0]?.scan_id as string;
          const statuses = await c.scanBulkOperations.getBulkStatus([created, 'scan_nope']);
          assert.deepEqual(statuses.results.map((item) => item.success), [true, false]);
          const repo = await c.repositories.createRepository({ url: REPO_URL, name: 'app' });
          assert.equal(repo.url.replace(/\/$/, ''), REPO_URL.replace(/\/$/, ''));
          const renamed = await c.repositories.updateRepository(REPO_URL, { name: 'renamed', hook_secret: 'a-hook-secret-of-24-chars' });
          assert.equal(renamed.name, 'renamed');
          assert.equal(renamed.hooks_enabled, true);

          const bulkCancelled = await c.scanBulkOperations.bulkCancelScans([created, 'scan_nope']);
          assert.deepEqual(bulkCancelled.results.map((item) => item.success), [true, false]);
          await c.scanManagement.waitForScan(created, { timeout: 120_000 });
          const deleted = await c.scanBulkOperations.bulkDeleteScans([created]);
          assert.equal(deleted.succeeded, 1);
          await c.repositories.deleteRepository(repo.id);
          await assert.rejects(c.repositories.getRepository(repo.id), TavoNotFoundError);
        });
      });

      it('lists rules, packs and models; custom rule files round-trip', async () => {
        const key = await unlimitedKey();
        await withClient(key, flavour.options, async (c) => {
          const rules = await c.scanRules.listRules();
          assert.ok(rules.total === rules.items.length && rules.total > 50);
          const llm = await c.scanRules.listRules({ owasp_llm: 'LLM01', language: ['python'] });
          assert.ok(llm.items.length > 0 && llm.items.every((r) => r.owasp_llm === 'LLM01'));
          const detail = await c.scanRules.getRule(llm.items[0]?.id as string);
          assert.ok(Object.keys(detail.examples).length > 0);
          const packs = await c.scanRules.listPacks();
          const names = packs.items.map((p) => p.name);
          assert.ok(names.includes('code-security') && names.includes('owasp-llm'));
          const models = await c.aiAnalysis.getModels();
          assert.ok(models.default_model);

          const uploaded = await c.scanRules.uploadCustomRules('seed-rules.yaml', SEED_RULES);
          assert.deepEqual(uploaded.rule_ids, ['rule1', 'rule2', 'rule3']);
          const files = await c.scanRules.listCustomRuleFiles();
          assert.deepEqual(files.items.map((f) => f.id), [uploaded.id]);
          const file = await c.scanRules.getCustomRuleFile(uploaded.id);
          assert.equal(file.content, SEED_RULES);
          await c.scanRules.deleteCustomRuleFile(uploaded.id);
          await assert.rejects(c.scanRules.getCustomRuleFile(uploaded.id), TavoNotFoundError);
        });
      });

      it('turns error answers into the error tree', async () => {
        await withClient(orgKey, flavour.options, async (c) => {
          await assert.rejects(c.scanManagement.getScan('scan_does_not_exist'), (error: unknown) => {
            assert.ok(error instanceof TavoNotFoundError);
            assert.equal(error.statusCode, 404);
            assert.equal(error.code, 'NOT_FOUND');
            assert.ok(error.requestId);
            return true;
          });
          await assert.rejects(c.scanManagement.createScan({ repository_url: REPO_URL, scan_type: 'bogus' as never }), (error: unknown) => {
            assert.ok(error instanceof TavoValidationError);
            assert.equal(error.statusCode, 422);
            assert.equal(error.field, 'scan_type');
            assert.match(error.message, /scan_type/);
            return true;
          });
          await assert.rejects(c.scanManagement.listScans({ limit: 0 }), (error: unknown) => {
            assert.ok(error instanceof TavoValidationError);
            assert.equal(error.field, 'limit');
            return true;
          });
        });
        const stranger = client('tavo_not_a_real_key', flavour.options);
        await assert.rejects(stranger.scanManagement.listScans(), (error: unknown) => {
          assert.ok(error instanceof TavoAuthError);
          assert.equal(error.statusCode, 401);
          return true;
        });
        await stranger.close();
      });
    });
  }

  it('tracks findings across scans: list, iterate by cursor, triage, history, diff, SARIF', async () => {
    const key = await unlimitedKey();
    const first = await finishedScan(key);
    const second = await finishedScan(key);
    await withClient(key, {}, async (c) => {
      const repository = (await c.repositories.getRepository(REPO_URL)).id;
      const page = await c.findings.listFindings({ repository, severity: ['HIGH', 'CRITICAL', 'MEDIUM', 'LOW', 'INFO'], limit: 1 });
      assert.ok(page.total >= 2 && page.items.length === 1 && page.has_more);
      const every = await c.findings.iterFindings({ repository, page_size: 1 }).toList();
      assert.equal(every.length, page.total);
      assert.equal(new Set(every.map((f) => f.id)).size, every.length);
      const finding = every[0] as (typeof every)[number];
      assert.equal(finding.status, 'open');
      const triaged = await c.findings.triageFinding(finding.id, 'accepted_risk', { comment: 'a test fixture' });
      assert.equal(triaged.status, 'accepted_risk');
      assert.equal(triaged.triage?.comment, 'a test fixture');
      assert.equal((await c.findings.getFinding(finding.id)).status, 'accepted_risk');
      const history = await c.findings.getFindingHistory(finding.id);
      assert.ok(history.items.some((event) => event.kind === 'triaged' || event.to_status === 'accepted_risk'));
      await c.findings.triageFinding(finding.id, 'open');

      const diff = await c.scanManagement.getScanDiff(second, first);
      assert.equal(diff.base_scan_id, first);
      assert.equal(diff.new.length, 0);
      assert.ok(diff.unchanged.length >= 1);
      const sarif = await c.scanManagement.getScanSarif(second);
      assert.equal(sarif['version'], '2.1.0');
    });
  });

  it('analyses a scan, model files and uploaded archives', async () => {
    await withClient(orgKey, {}, async (c) => {
      const result = await c.aiAnalysis.analyzeScan(scanId);
      assert.equal(result.status, 'completed');
      assert.ok(result.findings.length > 0 && result.findings.length === result.total);
      assert.ok(result.security_score && result.security_score.score >= 0);
      const analyses = await c.aiAnalysis.listAnalyses({ scan_id: scanId });
      assert.ok(analyses.items.some((a) => a.id === result.analysis_id));
      const job = await c.aiAnalysis.getAnalysis(result.analysis_id);
      assert.ok(job.finished);
      const page = await c.aiAnalysis.getAnalysisResult(result.analysis_id, { limit: 1 });
      assert.equal(page.findings.length, 1);
      const iterated = await c.aiAnalysis.iterFindings(result.analysis_id, { page_size: 1 }).toList();
      assert.equal(iterated.length, result.total);

      // A pickle that imports os.system: dangerous, and never loaded.
      const pickle = Buffer.from('80049515000000000000008c02706f948c0673797374656d9493942e', 'hex');
      const verdict = await c.aiAnalysis.analyzeModelFile(pickle, { filename: 'model.pkl' });
      assert.equal(verdict.safe, false);
      assert.ok(verdict.risks.length > 0);
    });
  });
});
