// Node side, used where the workflow bundle is built (scripts/bundle-workflows.ts, worker, tests, bench);
// never imported by workflow code.

/** Loads @noble/curves (the ed25519 code and, after the first verification, its precomputed tables). */
const SHARED_MODEL_MODULES = ['approval-rules'];

/**
 * `preloadModules` for bundleWorkflowCode / bundlerOptions, given the path of workflows/index (.ts or .js).
 * With the reusable V8 context every cached workflow evaluates the bundle's modules afresh, unless they
 * are preloaded: then one copy, frozen, is shared by all. @noble/curves holds no per-workflow state (its
 * precomputed point tables are a deterministic cache in WeakMaps, which freezing leaves usable), so it
 * is shared. zod cannot be (it memoizes onto schema objects, which preloading freezes), which is why
 * workflow code imports no zod at all (see docs/architecture.md).
 */
export function workflowPreloadModules(workflowsIndexPath: string): string[] {
  const dir = workflowsIndexPath.replace(/[\\/][^\\/]*$/, '');
  return SHARED_MODEL_MODULES.map((m) => `${dir}/../model/${m}`);
}
