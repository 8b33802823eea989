import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, DefaultLogger, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

// Where a worker's workflow code comes from, for every place that runs or bundles airlock's workflows
// (the worker, `airlock demo`, scripts/bundle-workflows.ts, tests, benches). Node side: workflow code
// never imports it.

/** airlock's workflows/index: .ts in the sources, .js in dist/. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** The prebuilt bundle `npm run build` writes (scripts/bundle-workflows.ts): dist/workflow-bundle.js. */
export const PREBUILT_BUNDLE = join(__dirname, '..', 'workflow-bundle.js');

export type WorkflowSource = Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;

/** Loads @noble/curves (the ed25519 code and, after the first verification, its precomputed tables). */
const SHARED_MODEL_MODULES = ['approval-rules'];

/**
 * `preloadModules` for a bundle of the workflows at `workflowsIndexPath` (workflows/index, .ts or .js).
 * With the reusable V8 context every cached workflow evaluates the bundle's modules afresh, unless they
 * are preloaded: then one copy, frozen, is shared by all. @noble/curves holds no per-workflow state (its
 * precomputed point tables are a deterministic cache in WeakMaps, which freezing leaves usable), so it
 * is shared. zod cannot be (it memoizes onto schema objects, which preloading freezes), which is why
 * workflow code imports no zod at all (see docs/architecture.md).
 */
export function workflowPreloadModules(workflowsIndexPath = WORKFLOWS_PATH): string[] {
  const dir = workflowsIndexPath.replace(/[\\/][^\\/]*$/, '');
  return SHARED_MODEL_MODULES.map((m) => `${dir}/../model/${m}`);
}

/**
 * Bundles `workflowsPath` (default: airlock's workflows) with the shared model modules preloaded.
 * `airlockWorkflows` is the workflows/index that module is or imports, for the preload list (a test's
 * or bench's own workflows module re-exports airlock's).
 */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH, airlockWorkflows = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, preloadModules: workflowPreloadModules(airlockWorkflows), logger: new DefaultLogger('WARN') });
}

/**
 * What a worker runs: the prebuilt bundle when there is one (bundling takes seconds), else the
 * sources, bundled when the worker starts, with the same preload list.
 */
export function workflowSource(): WorkflowSource {
  if (existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH, bundlerOptions: { preloadModules: workflowPreloadModules() } };
}
