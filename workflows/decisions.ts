import type { ChangeSummary } from '../model/activities';
import type { ServiceSettings } from '../model/deploy';
import type { CanaryAnalysisSettings, RolloutSettings } from '../model/manifest';
import { durationMs } from '../model/duration';
import { rolloutSteps } from '../model/rollout';
import type { FailureCause, PipelineInput, PipelineState } from '../model/pipeline';
import type { PolicyVerdict } from '../model/policy-verdict';
import type { RiskAssessment } from '../model/risk';
import type { ScanSummary } from '../model/scan';

// Pure decisions of the pipeline (unit-tested in test/unit/pipeline-decisions.test.ts).

/**
 * The scorer's verdict, raised to high when the change touches the gates that judge it, and for an
 * environment's first release (a bootstrap: no policy the environment already runs judged it).
 */
export function routeRisk(risk: RiskAssessment, change: ChangeSummary, bootstrap = false): NonNullable<PipelineState['risk']> {
  const reasons = risk.signals.map((s) => `${s.kind} (+${s.weight}): ${s.reason}`);
  if (bootstrap)
    return {
      score: risk.score,
      level: 'high',
      reasons: [...reasons, "the environment's first release (bootstrap): always high risk, approved by the worker's bootstrap approvers"],
    };
  if (!change.touchesGates || risk.level === 'high') return { score: risk.score, level: risk.level, reasons };
  return {
    score: risk.score,
    level: 'high',
    reasons: [...reasons, 'the change edits airlock.policy.yaml or airlock.yaml: a change to its own gates is always high risk'],
  };
}

export function findingsSummary(scan: ScanSummary): NonNullable<PipelineState['findings']> {
  return {
    vulnerabilities: { ...scan.vulnerabilities.counts },
    secrets: scan.secrets.length,
    misconfigurations: scan.misconfigurations.length,
    licenses: scan.licenses.length,
    reportDigest: scan.reportDigest,
  };
}

export function policySummary(v: PolicyVerdict): NonNullable<PipelineState['policy']> {
  return {
    allowed: v.allowed,
    policyDigest: v.policyDigest,
    violations: v.violations.filter((x) => x.blocking).map((x) => `${x.rule} (${x.severity}): ${x.detail}`),
  };
}

/** What a rollout runs with: the traffic steps and the canary analysis thresholds. */
export interface RolloutAndAnalysis {
  rollout: RolloutSettings;
  analysis: CanaryAnalysisSettings;
}

/** airlock.yaml's defaults for an environment that sets neither (model/manifest.ts environmentSchema). */
export const DEFAULT_ROLLOUT_SETTINGS: RolloutAndAnalysis = {
  rollout: { strategy: 'canary', steps: [10, 50, 100] },
  // the same values as canaryAnalysisSchema's defaults (workflow code holds no zod: test/workflow/bundle.test.ts)
  analysis: { interval: '5s', checks: 3, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 20, minRequests: 50, confidence: 0.95, maxAuthRefusalChange: 0.05, maxClientErrorChange: 0.1, evidenceWait: '30s', metrics: [] },
};

/**
 * Where the rollout's settings come from. `fromManifest` (patch `input-identifiers`): airlock.yaml at the
 * head commit as readManifest read it; the workflow input's `rollout`/`analysis` are ignored, whoever
 * started the workflow. Otherwise (histories started before the patch) the input's, as they ran then.
 */
export function rolloutSettingsFor(
  input: Pick<PipelineInput, 'rollout' | 'analysis' | 'headCommit' | 'serviceDir'>,
  manifest: ServiceSettings | undefined,
  fromManifest: boolean,
): NonNullable<PipelineState['rollout']> {
  if (fromManifest && manifest) {
    const { rollout, analysis } = manifest.target.settings;
    const file = input.serviceDir === '.' ? 'airlock.yaml' : `${input.serviceDir}/airlock.yaml`;
    return { from: `${file} at ${input.headCommit.slice(0, 12)}`, rollout, analysis };
  }
  return { from: 'workflow input', rollout: input.rollout ?? DEFAULT_ROLLOUT_SETTINGS.rollout, analysis: input.analysis ?? DEFAULT_ROLLOUT_SETTINGS.analysis };
}

/** How long a holder may keep the environment lock: the approval window plus a generous rollout budget. */
export function lockLeaseMs(approvalTimeoutMs: number, rollout: RolloutSettings, analysis: CanaryAnalysisSettings): number {
  const steps = rolloutSteps(rollout).length;
  const perStep = analysis.checks * durationMs(analysis.interval) + 10 * 60_000;
  return approvalTimeoutMs + steps * perStep + 30 * 60_000;
}

interface FailureLike {
  type?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
}

/**
 * The business cause of a failure: the first ApplicationFailure `type` down the cause chain
 * (ActivityFailure -> ApplicationFailure), else the innermost error's name (e.g. TimeoutFailure).
 */
export function causeOf(err: unknown): FailureCause {
  let node = err as FailureLike | undefined;
  let last: FailureLike | undefined;
  for (let depth = 0; node && typeof node === 'object' && depth < 10; depth++) {
    if (typeof node.type === 'string' && node.type) return { type: node.type, message: String(node.message ?? '') };
    last = node;
    node = node.cause as FailureLike | undefined;
  }
  if (!last) return { type: 'Error', message: String(err) };
  return { type: typeof last.name === 'string' ? last.name : 'Error', message: String(last.message ?? '') };
}
