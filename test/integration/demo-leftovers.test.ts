import { TestWorkflowEnvironment } from '@temporalio/testing';
import { endLeftovers } from '../../cli/demo/leftovers';
import { loadConfig } from '../../infra/config';
import { resolveTool } from '../../infra/local/tools';
import { lockWorkflowId } from '../../model/names';
import { searchAttributeKeys, SEARCH_KEYS } from '../../workflows/search-attributes';

// `airlock demo` and the lead-time bench start over in their environments: what an interrupted earlier run
// left running there (a pipeline, the environment's lock) is ended first, on a real dev server; workflows of
// other environments and services are left alone.

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: resolveTool(loadConfig(), 'temporal') }, searchAttributes: searchAttributeKeys() } });
}, 180_000);
afterAll(async () => env?.teardown());

test('ends the pipelines and locks an interrupted run left in the given environments, nothing else', async () => {
  // a queue nobody polls: what a killed demo's pipelines wait on
  const start = (workflowId: string, service: string, environment: string) =>
    env.client.workflow.start('deploymentPipeline', {
      workflowId,
      taskQueue: 'nobody-polls-this',
      typedSearchAttributes: [
        { key: SEARCH_KEYS.service, value: service },
        { key: SEARCH_KEYS.environment, value: environment },
      ],
    });
  await start('airlock/demo/staging/abc', 'demo', 'staging');
  await start('airlock/demo/production/def', 'demo', 'production');
  await env.client.workflow.start('environmentLock', { workflowId: lockWorkflowId('demo', 'production'), taskQueue: 'nobody-polls-this' });
  await start('airlock/demo/qa/ghi', 'demo', 'qa');
  await start('airlock/shop/production/jkl', 'shop', 'production');
  const listed = async () => {
    const ids: string[] = [];
    for await (const w of env.client.workflow.list({ query: `ExecutionStatus = 'Running'` })) ids.push(w.workflowId);
    return ids.sort();
  };
  for (let i = 0; i < 50 && (await listed()).length < 5; i++) await new Promise((r) => setTimeout(r, 100));

  const ended = await endLeftovers(env.client, 'demo', ['staging', 'production'], 'test: left by an interrupted demo');
  expect(ended.sort()).toEqual(['airlock/demo/production/def', 'airlock/demo/staging/abc', lockWorkflowId('demo', 'production')].sort());
  expect((await env.client.workflow.getHandle('airlock/demo/staging/abc').describe()).status.name).toBe('TERMINATED');
  expect(await listed()).toEqual(['airlock/demo/qa/ghi', 'airlock/shop/production/jkl']);
  // a second run finds nothing left
  expect(await endLeftovers(env.client, 'demo', ['staging', 'production'], 'again')).toEqual([]);
}, 120_000);
