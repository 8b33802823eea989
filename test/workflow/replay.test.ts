import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, installQuietRuntime } from './support/harness';
import { historyFromJson } from './support/history-json';
import { complianceScenarios } from './support/compliance-scenarios';
import { concurrencyScenarios } from './support/concurrency-scenarios';
import { deployReleaseScenarios } from './support/deploy-release-scenarios';
import { flagScenarios } from './support/flag-scenarios';
import { scenarios } from './support/scenarios';
import { promotionScenarios } from './support/promotion-scenarios';
import { roleScenarios } from './support/role-scenarios';

// Every saved history (test/fixtures/histories, written by record-histories.ts) must replay on the
// current workflow code: a change that breaks determinism fails here, before it breaks running pipelines.

const DIR = join(__dirname, '..', 'fixtures', 'histories');
const IDS = 'workflow-ids.json';
const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== IDS).sort();
const ids = JSON.parse(readFileSync(join(DIR, IDS), 'utf8')) as Record<string, string>;
const load = (file: string) => ({ workflowId: ids[file] ?? file, history: historyFromJson(readFileSync(join(DIR, file), 'utf8')) });

let current: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  installQuietRuntime();
  current = await bundle();
}, 120_000);

test('every path of the pipeline has a saved history', () => {
  expect(Object.keys(ids).sort()).toEqual(files);
  for (const name of [...Object.keys(scenarios), ...Object.keys(concurrencyScenarios), ...Object.keys(deployReleaseScenarios), ...Object.keys(complianceScenarios), ...Object.keys(promotionScenarios), ...Object.keys(flagScenarios), ...Object.keys(roleScenarios)])
    expect([name, files.some((f) => f === `${name}.json` || f.startsWith(`${name}-`))]).toEqual([name, true]);
  expect(files.filter((f) => f.endsWith('-lock.json')).length).toBeGreaterThanOrEqual(3);
});

test('all saved histories replay on the current workflow code', async () => {
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: current }, files.map(load))) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(files.length);
});

test('a workflow change without patched() fails replay with DeterminismViolationError', async () => {
  const changed = await bundle(require.resolve('./fixtures/unpatched-change'));
  const { history, workflowId } = load('low-auto-promote.json');
  const replay = Worker.runReplayHistory({ workflowBundle: changed }, history, workflowId);
  await expect(replay).rejects.toThrow(DeterminismViolationError);
  await expect(replay).rejects.toThrow(/Nondeterminism/);
});

test('the same change behind patched() replays', async () => {
  const changed = await bundle(require.resolve('./fixtures/patched-change'));
  const { history, workflowId } = load('low-auto-promote.json');
  await expect(Worker.runReplayHistory({ workflowBundle: changed }, history, workflowId)).resolves.toBeUndefined();
});
