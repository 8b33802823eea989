import { bundle } from './support/harness';

// Memory per parked pipeline: in the reusable V8 context every cached workflow evaluates the bundle's
// modules afresh, and zod (with schemas) costs about a megabyte each, so 500 parked pipelines (plus their
// locks) went from about 0.8 to 1.9 GiB. Workflow code imports only zod-free modules (model/names,
// model/duration, model/build, model/approval-rules; types from anywhere).

test('the workflow bundle holds no zod', async () => {
  const { code } = await bundle();
  const zod = [...new Set(code.match(/node_modules\/zod\/[\w/.-]+/g) ?? [])];
  expect(zod).toEqual([]);
}, 120_000);
