import type { DeployTarget } from './deploy';
import { durationMs } from './duration';
import type { EnvironmentSettings, Manifest } from './manifest';
import type { RiskLevel } from './risk';

// Promotion: one build carried through ordered environments (staging -> production). Zod-free (the
// workflow imports approvalLevelIn); the readManifest activity builds the plan with promotionPlan.
//
// Trust: the order, the soak and the approval rule per environment decide how much a release is tested
// before production, so they come from the airlock.yaml the target environment runs now (its stable
// release's commit, the anchor: reviewed and deployed under the gates of its time). The change under
// review can make them stricter for itself (another environment first, a longer soak, a higher approval
// level), never weaker: dropping staging or shortening a soak takes effect once the change itself has
// passed under the old settings and become the anchor (docs/promotion.md).

/** One environment of the promotion, in order. */
export interface PromotionStep {
  environment: string;
  /** The environment's deploy target as airlock.yaml at the head commit sets it (rollout, canary analysis, port). */
  target: DeployTarget;
  /** Time at 100% with continuous canary analysis before promote (`0s`: none). */
  soak: string;
  soakMs: number;
  /**
   * The approval rule that applies here: `override` (the anchor's `approvals: <level>`) replaces the change's
   * risk level, `floor` (the change's own `approvals: <level>`) only raises it.
   */
  approvals: { override?: RiskLevel; floor?: RiskLevel };
}

export interface PromotionPlan {
  /** Where the order, soaks and approval rules come from (`airlock.yaml at <anchor>`, or the head when no anchor has them). */
  from: string;
  environments: PromotionStep[];
  /** What the change asks for that is weaker than the anchor and so does not take effect, one line each. */
  ignored: string[];
}

export interface PromotionSources {
  head: Manifest;
  headSource: string;
  /** airlock.yaml at the anchor (the target environment's stable release), absent for a first release. */
  anchor?: Manifest;
  anchorSource?: string;
  /** The last environment the pipeline goes to (the workflow input's environment, `trigger --to`). */
  to: string;
}

const RANK: Record<RiskLevel, number> = { low: 0, medium: 1, high: 2 };
const stricter = (a: RiskLevel | undefined, b: RiskLevel | undefined): RiskLevel | undefined => (!a ? b : !b ? a : RANK[a] >= RANK[b] ? a : b);
const level = (a: EnvironmentSettings['approvals']): RiskLevel | undefined => (a && a !== 'inherit' ? a : undefined);
const soakOf = (e: EnvironmentSettings | undefined): string => e?.soak ?? '0s';

/**
 * The environments a pipeline to `to` goes through, or undefined when `to` is not in the promotion
 * (no `promotion:`, or an environment outside it: a single-environment pipeline as before). An environment
 * of the anchor's order that head's airlock.yaml lacks is a problem (it cannot be dropped by deleting it).
 */
export function promotionPlan(s: PromotionSources): { plan?: PromotionPlan; problem?: string } {
  const anchorOrder = s.anchor?.promotion;
  const order = anchorOrder ?? s.head.promotion;
  if (!order) return {};
  const at = order.indexOf(s.to);
  if (at < 0) return {};
  const ignored: string[] = [];
  if (anchorOrder && s.head.promotion?.join(',') !== anchorOrder.join(','))
    ignored.push(`promotion: the change sets [${(s.head.promotion ?? []).join(', ')}]; [${anchorOrder.join(', ')}] of ${s.anchorSource} applies until the change is deployed`);
  const environments: PromotionStep[] = [];
  for (const environment of order.slice(0, at + 1)) {
    const head = s.head.environments[environment];
    if (!head) return { problem: `environments: has no ${environment}, which the promotion [${order.join(', ')}] of ${anchorOrder ? s.anchorSource : s.headSource} goes through` };
    const anchor = s.anchor?.environments[environment];
    const anchorSoak = soakOf(anchor);
    const headSoak = soakOf(head);
    const soak = durationMs(headSoak) > durationMs(anchorSoak) ? headSoak : anchorSoak;
    if (durationMs(headSoak) < durationMs(anchorSoak)) ignored.push(`environments.${environment}.soak: the change sets ${headSoak}; ${anchorSoak} of ${s.anchorSource} applies`);
    const override = level(anchor?.approvals);
    const floor = level(head.approvals);
    // the change's level is a floor: it raises the anchor's rule, it never replaces it
    const raises = floor !== undefined && override !== undefined && RANK[floor] > RANK[override];
    if (s.anchor && anchor && (head.approvals ?? 'inherit') !== (anchor.approvals ?? 'inherit') && !raises)
      ignored.push(`environments.${environment}.approvals: the change sets ${head.approvals ?? 'inherit'}; ${anchor.approvals ?? 'inherit'} of ${s.anchorSource} applies${floor ? ` (the change's level only ever raises it)` : ''}`);
    environments.push({
      environment,
      target: { service: s.head.service, environment, run: s.head.run, settings: head },
      soak,
      soakMs: durationMs(soak),
      approvals: { ...(override ? { override } : {}), ...(floor ? { floor } : {}) },
    });
  }
  return { plan: { from: anchorOrder ? (s.anchorSource ?? 'the anchor') : s.headSource, environments, ignored } };
}

/**
 * The risk level whose approval rule applies in `step`: an environment's first release (bootstrap) is always
 * high; otherwise the anchor's override (or the change's routed level), raised to the change's own floor.
 */
export function approvalLevelIn(step: Pick<PromotionStep, 'approvals'>, routed: RiskLevel, bootstrap: boolean): RiskLevel {
  if (bootstrap) return 'high';
  return stricter(step.approvals.override ?? routed, step.approvals.floor) ?? routed;
}

/** How often the soak repeats its canary analysis: a quarter of the soak, between 5 s and 5 minutes. */
export const soakCheckEveryMs = (soakMs: number): number => Math.max(5_000, Math.min(Math.floor(soakMs / 4), 5 * 60_000));

/** The release (one image) of a commit: `<service>-<commit12>`, the same in every environment of the promotion. */
export const commitReleaseId = (service: string, headCommit: string): string => `${service}-${headCommit.slice(0, 12)}`;
