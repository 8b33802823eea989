import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useHarness, type Harness } from './support/harness';
import { historyToJson } from './support/history-json';
import { complianceScenarios } from './support/compliance-scenarios';
import { concurrencyScenarios } from './support/concurrency-scenarios';
import { deployReleaseScenarios } from './support/deploy-release-scenarios';
import { flagScenarios } from './support/flag-scenarios';
import { sideDoorScenarios } from './support/side-door-scenarios';
import { promotionScenarios } from './support/promotion-scenarios';
import { roleScenarios } from './support/role-scenarios';
import { scenarios, type ScenarioRun } from './support/scenarios';

/**
 * Re-records test/fixtures/histories: runs every path of the pipeline on a fresh dev server and saves the
 * histories the replay test (replay.test.ts) replays. Run after a deliberate, patched() workflow change:
 *
 *   npx jest -c test/workflow/record-histories.config.js
 *
 * Keep the old files of a path while running pipelines may still have them (they must keep replaying):
 * HISTORY_SUFFIX=<patch id> saves `<name>-<patch id>.json` next to them instead, and `-t` picks scenarios:
 *
 *   HISTORY_SUFFIX=read-once npx jest -c test/workflow/record-histories.config.js -t 'record (low-auto-promote|high-two-approvals)$'
 */
export const HISTORIES = join(__dirname, '..', 'fixtures', 'histories');
const SUFFIX = process.env.HISTORY_SUFFIX ? `-${process.env.HISTORY_SUFFIX}` : '';

const all: Record<string, (h: Harness) => Promise<Pick<ScenarioRun, 'recorded'>>> = { ...scenarios, ...concurrencyScenarios, ...deployReleaseScenarios, ...sideDoorScenarios, ...complianceScenarios, ...promotionScenarios, ...flagScenarios, ...roleScenarios };

let h: Harness;
useHarness((x) => (h = x));

/** file -> workflow id: replay runs each history under its own id (the signed subject includes it). */
const ids: Record<string, string> = {};

test.each(Object.keys(all))('record %s', async (name) => {
  const run = await all[name]!(h);
  mkdirSync(HISTORIES, { recursive: true });
  for (const rec of run.recorded) {
    const history = await h.env.client.workflow.getHandle(rec.workflowId, rec.runId).fetchHistory();
    writeFileSync(join(HISTORIES, `${rec.name}${SUFFIX}.json`), historyToJson(history));
    ids[`${rec.name}${SUFFIX}.json`] = rec.workflowId;
  }
  expect(run.recorded.length).toBeGreaterThan(0);
});

afterAll(() => {
  const path = join(HISTORIES, 'workflow-ids.json');
  const old = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>) : {};
  const merged = { ...old, ...ids };
  writeFileSync(path, `${JSON.stringify(Object.fromEntries(Object.entries(merged).sort()), null, 2)}\n`);
});
