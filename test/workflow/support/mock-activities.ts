import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChangeSummary, PipelineActivities, PipelineActivityName } from '../../../model/activities';
import type { CanaryVerdict, ShiftInput, ShiftResult } from '../../../model/deploy';
import type { EvidenceVerdict, VerifyEvidenceRequest } from '../../../model/evidence-record';
import type { GateRecord, GateRecordInput } from '../../../model/deploy-gate';
import { environmentSchema, manifestSchema } from '../../../model/manifest';
import { promotionPlan } from '../../../model/promotion';
import type { PolicySnapshot } from '../../../model/policy-snapshot';
import { policySchema } from '../../../model/policy';
import type { RiskAssessment, RiskLevel } from '../../../model/risk';
import type { WindowsRecheck } from '../../../model/policy-verdict';
import type { ScanSummary, VulnerabilityFinding } from '../../../model/scan';
import type { RescanTarget } from '../../../model/compliance';
import type { LoadedPolicy } from '../../../model/policy';
import { assessCompliance } from '../../../activities/compliance/assess';
import type { RuntimeSecurityReport, SecuritySurface } from '../../../model/runtime-security';
import type { DeliverEventInput } from '../../../activities/notify';
import { readChangeWith } from '../../../activities/change/read-change';
import { shiftThenAnalyze } from '../../../activities/deploy/shift-traffic';
import { createRoutingActivities } from '../../../activities/routing';
import { snapshot as defaultSnapshot } from './fixtures';

// Mocked activities (the real ones are other issues) that behave like the real contract: each side
// effect is keyed by its idempotency key and applied once, however often the activity is called.

export interface Call {
  name: PipelineActivityName;
  input: Record<string, unknown>;
  attempt: number;
  /** the task queue the call ran on (workers by role) */
  taskQueue: string;
}

export interface MockOptions {
  snapshot?: PolicySnapshot;
  risk?: RiskLevel;
  touchesGates?: boolean;
  authors?: string[];
  policyAllowed?: boolean;
  /** the environment's settings in the mocked airlock.yaml (rollout, analysis, ...) over MANIFEST_ENVIRONMENT */
  manifest?: Record<string, unknown>;
  /** verdict per canary weight (default pass) */
  verdict?: (step: number) => 'pass' | 'fail';
  /** how long analyze takes (heartbeating, cancellable) */
  analyzeMs?: (step: number) => number;
  /** throw from an activity: return an error for the calls that must fail */
  fail?: Partial<Record<PipelineActivityName, (input: Record<string, unknown>, attempt: number) => Error | undefined>>;
  /** recheckWindows' answer for its n-th call (0-based); default: allowed, no freeze */
  recheck?: (n: number) => Partial<WindowsRecheck>;
  /** findGateRecord's answer (`airlock deploy`); default: a promoted pipeline passed this digest */
  gateRecord?: (input: GateRecordInput) => GateRecord;
  /** the policy file readBasePolicy parses (default: risk thresholds only) */
  policy?: unknown;
  /** the stable release's commit resolveAnchor answers (default ANCHOR_COMMIT); null: a first release (bootstrap) */
  anchor?: string | null;
  /** the approval snapshot readAnchorPolicy answers for a first release (the worker's bootstrap approvers) */
  bootstrapSnapshot?: PolicySnapshot;
  /** verifyEvidence refuses with this reason (default: it checks the links recorded for the image) */
  evidenceBroken?: string;
  /** `security:` of the mocked airlock.yaml (absent: none declared, the runtime security stage probes nothing) */
  security?: SecuritySurface;
  /** blocking findings verifyRuntimeSecurity reports (default none: passed) */
  runtimeFindings?: RuntimeSecurityReport['findings'];
  /** runs inside the activity after its effect, before it answers (e.g. block until the worker is killed) */
  during?: Partial<Record<PipelineActivityName, (input: Record<string, unknown>, attempt: number) => Promise<void>>>;
  /** `compliance:` of the policy readAnchorPolicy answers (scheduled rescans) */
  compliance?: Record<string, unknown>;
  /** exceptions of the policy readAnchorPolicy answers */
  exceptions?: unknown[];
  /** vulnerability findings scanImage reports (default none) */
  scanFindings?: VulnerabilityFinding[];
  /** per image: the findings scanImage reports for it (overrides scanFindings; undefined: scanFindings) */
  scanFindingsFor?: (image: string) => VulnerabilityFinding[] | undefined;
  /** describeEnvironment's release history, newest first (the running release first); default: none */
  history?: { releaseId: string; image: string }[];
  /** `notifications:` of the protected policy (readAnchorPolicy, readBasePolicy); deliverEvent records what it is sent */
  notifications?: unknown;
  /**
   * airlock.yaml with `promotion:` at head and at the anchor (whole manifests, parsed with the real schema):
   * readManifest answers the real promotionPlan of them when the workflow asks for it (patch `promotion`).
   */
  promotion?: { head: Record<string, unknown>; anchor?: Record<string, unknown> };
  /** the worker's roles configuration the real taskQueues activity answers from (default: one queue for all) */
  roles?: { split: boolean; environmentTargets: Record<string, string> };
}

/** The environment of the mocked airlock.yaml: canary 10/50/100, one short analysis check, no load. */
export const MANIFEST_ENVIRONMENT = {
  routerPort: 18080,
  rollout: { strategy: 'canary', steps: [10, 50, 100] },
  analysis: { interval: '1s', checks: 1, failureLimit: 1, minSuccessRate: 0.99, maxLatencyP95Ms: 500, maxSuccessRateDrop: 0.02, loadRps: 0 },
};
export const ANCHOR_COMMIT = 'a0'.repeat(20);

export const digestOf = (releaseId: string) => `sha256:${Buffer.from(releaseId).toString('hex').padEnd(64, '0').slice(0, 64)}`;

export function nonRetryable(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

export async function heartbeatSleep(ms: number): Promise<void> {
  const ctx = Context.current();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    ctx.heartbeat();
    await ctx.sleep(Math.min(100, end - Date.now()));
  }
}

export function mockActivities(o: MockOptions = {}) {
  const calls: Call[] = [];
  /** applied side effects: key -> times applied (must stay 1) */
  const effects = new Map<string, number>();
  const results = new Map<string, unknown>();
  const effect = <T>(key: string, make: () => T): T => {
    if (!results.has(key)) {
      results.set(key, make());
      effects.set(key, (effects.get(key) ?? 0) + 1);
    }
    return results.get(key) as T;
  };
  type Input<K extends PipelineActivityName> = Parameters<PipelineActivities[K]>[0];
  const wrap = <K extends PipelineActivityName>(name: K, body: (input: Input<K>) => Promise<unknown> | unknown) =>
    (async (input: Input<K>) => {
      const { attempt, taskQueue } = Context.current().info;
      const raw = input as unknown as Record<string, unknown>;
      calls.push({ name, input: raw, attempt, taskQueue });
      const err = o.fail?.[name]?.(raw, attempt);
      if (err) throw err;
      const result = await body(input);
      await o.during?.[name]?.(raw, attempt);
      return result;
    }) as unknown as PipelineActivities[K];

  const change = (): ChangeSummary => ({
    files: 3, additions: 20, deletions: 4, authors: o.authors ?? ['dana@example.com'], touchesGates: o.touchesGates ?? false, analysisDigest: 'sha256:' + 'cd'.repeat(32),
  });
  const risk = (): RiskAssessment => {
    const level = o.risk ?? 'low';
    const score = { low: 10, medium: 45, high: 80 }[level];
    return { score, level, signals: [{ kind: 'files', weight: score, reason: `${level} fixture change`, files: ['src/app.ts'] }], stats: { files: 3, additions: 20, deletions: 4 } };
  };

  const gateRecordOf = (input: GateRecordInput): GateRecord =>
    o.gateRecord?.(input) ?? { passed: { pipelineId: `airlock/${input.service}/${input.environment}/${'c'.repeat(40)}`, runId: 'run-1', releaseId: 'r1' }, priorRuns: 0 };
  /** links recorded per image, as the registry would hold them */
  const chains = new Map<string, Set<string>>();
  const findingsOf = (image: string) => o.scanFindingsFor?.(image) ?? o.scanFindings ?? [];
  /** the image of each candidate (deployCandidate), and what serves per environment (promote, restoreRelease) */
  const images = new Map<string, string>();
  const running = new Map<string, { releaseId: string; image: string }>();
  const REQUIRED = ['build', 'sbom', 'vuln', 'policy', 'approvals'];

  /** verifyEvidence's answer for the links recorded for the image (deployCandidate's `admit` asks the same) */
  const verdictOf = (i: VerifyEvidenceRequest): EvidenceVerdict => {
    // an image a pipeline of the environment promoted (findGateRecord's answer) has its whole chain in the registry
    const imageDigest = i.image.slice(i.image.lastIndexOf('@') + 1);
    // (an image this mock built is a pipeline's own: only the links that pipeline recorded count)
    const built = [...results.keys()].some((k) => k.startsWith('build:') && (results.get(k) as { digest: string }).digest === imageDigest);
    const promoted = !built && gateRecordOf({ service: '', environment: i.environment, imageDigest, workflowId: '', runId: '' }).passed;
    const missing = promoted ? [] : REQUIRED.filter((l) => !chains.get(i.image)?.has(l));
    const notPassed = i.passedIn && !chains.get(i.image)?.has(`rollout:${i.passedIn}:promoted`) ? `the image has not passed in ${i.passedIn}` : undefined;
    const reason = o.evidenceBroken ?? (missing.length ? `the ${missing[0]} link is missing` : notPassed);
    if (reason && i.check) return { ok: false, links: [], firstBroken: { index: -1, link: 'policy' as const, predicateType: 'policy', ok: false, reason } };
    if (reason) throw nonRetryable('EvidenceNotVerifiedError', `the evidence chain of ${i.image} does not verify: ${reason}`);
    return { ok: true, links: REQUIRED.map((link, index) => ({ index, link: link as 'build', predicateType: link, ok: true })) };
  };

  const activities: PipelineActivities = {
    recordEvidence: wrap('recordEvidence', (i) => {
      const links = i.link === 'scan' ? ['sbom', 'vuln'] : i.link === 'rollout' ? ['rollout', `rollout:${i.environment}:${i.outcome}`] : [i.link];
      const chain = chains.get(i.image) ?? new Set<string>();
      chains.set(i.image, chain);
      const added = links.filter((l) => !chain.has(l));
      for (const l of added) effect(`evidence:${i.image}:${l}`, () => chain.add(l));
      return { links, added: added.length, manifestDigest: 'sha256:' + 'a7'.repeat(32), stored: [] };
    }),
    verifyEvidence: wrap('verifyEvidence', (i) => verdictOf(i)),
    readBasePolicy: wrap('readBasePolicy', (i) => ({
      snapshot: o.snapshot ?? defaultSnapshot(),
      policy: { policy: policySchema.parse({ ...((o.policy as object | undefined) ?? { risk: { thresholds: { medium: 40, high: 70 } } }), ...(o.notifications ? { notifications: o.notifications } : {}) }), digest: 'sha256:' + 'ab'.repeat(32), source: `${i.path} at ${i.commit.slice(0, 12)}` },
    })),
    resolveAnchor: wrap('resolveAnchor', (i) => {
      const commit = o.anchor === undefined ? ANCHOR_COMMIT : o.anchor;
      return { commit, stableReleaseId: commit ? `${i.service}-${i.environment}-${commit.slice(0, 12)}` : null };
    }),
    readAnchorPolicy: wrap('readAnchorPolicy', (i) => {
      const source = i.anchor ? `git:${i.repo}@${i.anchor}:airlock.policy.yaml` : 'bootstrap:/etc/airlock/bootstrap.policy.yaml';
      const snapshot = (i.anchor ? o.snapshot : o.bootstrapSnapshot) ?? o.snapshot ?? defaultSnapshot();
      return {
        anchor: i.anchor ?? 'bootstrap',
        source,
        branch: 'main',
        ...(i.anchor ? { path: 'airlock.policy.yaml' } : {}),
        snapshot: { ...snapshot, source },
        policy: {
          policy: policySchema.parse({
            risk: { thresholds: { medium: 40, high: 70 } },
            ...(o.compliance ? { compliance: o.compliance } : {}),
            ...(o.exceptions ? { exceptions: o.exceptions } : {}),
            ...(o.notifications ? { notifications: o.notifications } : {}),
          }),
          digest: 'sha256:' + (i.anchor ? 'ab' : 'b0').repeat(32),
          source,
        },
      };
    }),
    readManifest: wrap('readManifest', (i) => {
      const settings = {
        build: { context: '.', dockerfile: 'Dockerfile' },
        target: { service: i.service, environment: i.environment, run: { port: 8080, health: '/healthz', replicas: 1 }, settings: environmentSchema.parse({ ...MANIFEST_ENVIRONMENT, ...o.manifest }) },
        ...(o.security ? { security: o.security } : {}),
      };
      if (!o.promotion || !i.promotion) return settings;
      const parse = (m: Record<string, unknown>) => manifestSchema.parse({ ...m, service: i.service });
      const { plan, problem } = promotionPlan({
        head: parse(o.promotion.head),
        headSource: `airlock.yaml at ${i.commit.slice(0, 12)}`,
        ...(o.promotion.anchor && i.promotion.anchor ? { anchor: parse(o.promotion.anchor), anchorSource: `airlock.yaml at ${i.promotion.anchor.slice(0, 12)}` } : {}),
        to: i.environment,
      });
      if (problem) throw nonRetryable('InvalidInputError', problem);
      return plan ? { ...settings, target: plan.environments.at(-1)!.target, promotion: plan } : settings;
    }),
    assessChange: wrap('assessChange', () => ({ change: change(), risk: risk() })),
    // the real composition (activities/pipeline.ts) over the three mocks above, which record their own calls too
    readChange: wrap('readChange', (i) => readChangeWith(activities)(i)),
    buildImage: wrap('buildImage', (i) =>
      effect(`build:${i.releaseId}`, () => ({ image: `127.0.0.1:5000/${i.service}:${i.releaseId}`, digest: digestOf(i.releaseId), releaseId: i.releaseId, sizeBytes: 1, durationMs: 1, reused: false })),
    ),
    scanImage: wrap('scanImage', (i) => ({
      image: i.image, vulnerabilities: { counts: { CRITICAL: findingsOf(i.image).length, HIGH: 0, MEDIUM: 1, LOW: 2, UNKNOWN: 0 }, findings: findingsOf(i.image) }, secrets: [], misconfigurations: [], licenses: [],
      reportDigest: 'sha256:' + 'e1'.repeat(32), sbomDigest: 'sha256:' + 'e2'.repeat(32), trivyVersion: '0.74.0', dbMode: 'fixture',
      imageUser: { user: 'app', uid: 10001, configDigest: 'sha256:' + 'e3'.repeat(32) },
    })),
    evaluatePolicy: wrap('evaluatePolicy', () => ({
      allowed: o.policyAllowed ?? true,
      violations: o.policyAllowed === false ? [{ rule: 'secrets.none', severity: 'critical', detail: 'aws-access-key-id in /app/config.js:3', blocking: true }] : [],
      exceptionsApplied: [], policyDigest: 'sha256:' + 'ab'.repeat(32), notVerifiable: [],
    })),
    recheckWindows: wrap('recheckWindows', () => {
      const n = calls.filter((c) => c.name === 'recheckWindows').length - 1;
      return { checkedAt: new Date().toISOString(), allowed: true, violations: [], otherBlocking: 0, ...o.recheck?.(n) };
    }),
    deployCandidate: wrap('deployCandidate', async (i) => {
      // patch `approvals-in-deploy`: the approvals link recorded first (as activities/pipeline.ts admittedFirst
      // does, through the recordEvidence mock, so `links()` lists it), then the pipeline's admission (patch
      // `verify-in-deploy`), nothing created when it refuses
      const { approvals, ...checks } = i.admit ?? {};
      if (approvals) await activities.recordEvidence({ releaseId: i.releaseId, image: i.image, link: 'approvals', ...approvals });
      if (i.admit) verdictOf({ releaseId: i.releaseId, image: i.image, environment: i.environment, ...checks });
      return effect(`deploy:${i.releaseId}`, () => (images.set(i.releaseId, i.image), { releaseId: i.releaseId, image: i.image, containers: [`${i.releaseId}-1`] }));
    }),
    shiftTraffic: wrap('shiftTraffic', (i) => (effect(`traffic:${i.releaseId}:${i.weight}`, () => i.weight), { releaseId: i.releaseId, weight: i.weight, servers: {} })),
    analyze: wrap('analyze', async (i): Promise<CanaryVerdict> => {
      await heartbeatSleep(o.analyzeMs?.(i.step) ?? 0);
      const verdict = o.verdict?.(i.step) ?? 'pass';
      const value = verdict === 'pass' ? 0.999 : 0.71;
      return {
        step: i.step, verdict,
        measurements: [{ metric: 'success-rate', step: i.step, value, threshold: 0.99, passed: verdict === 'pass', at: new Date(0).toISOString(), query: 'sum(rate(...))' }],
        ...(verdict === 'fail' ? { reason: `success-rate ${value} < 0.99` } : {}),
      };
    }),
    verifyRuntimeSecurity: wrap('verifyRuntimeSecurity', (i): RuntimeSecurityReport => {
      const findings = o.runtimeFindings ?? [];
      const status = (blocking: boolean) => ({ status: blocking ? ('violated' as const) : ('verified' as const), detail: 'mock' });
      const has = (c: string) => findings.some((f) => f.check === c && f.blocking);
      return {
        url: 'http://127.0.0.1:1', endpoints: i.surface.endpoints.length, requests: 4 * i.surface.endpoints.length, durationMs: 5,
        checks: { authentication: status(has('authentication')), input_validation: status(has('input_validation')), error_handling: status(has('error_handling')), encryption_in_transit: { status: 'not-served', detail: 'plain HTTP' }, logging: status(has('logging')) },
        findings, findingCount: findings.length, exceptionsApplied: [], passed: !findings.some((f) => f.blocking), at: new Date(0).toISOString(),
      };
    }),
    promote: wrap('promote', (i) => void effect(`promote:${i.releaseId}`, () => running.set(`${i.service}/${i.environment}`, { releaseId: i.releaseId, image: images.get(i.releaseId) ?? '' }))),
    settleRelease: wrap('settleRelease', (i) => void effect(`settle:${i.releaseId}`, () => true)),
    rollback: wrap('rollback', (i) => void effect(`rollback:${i.releaseId}`, () => true)),
    // called by pipelines started before patch `read-once` only
    readPolicySnapshot: wrap('readPolicySnapshot', () => o.snapshot ?? defaultSnapshot()),
    analyzeChange: wrap('analyzeChange', change),
    scoreRisk: wrap('scoreRisk', risk),
  };
  // the real composition (activities/deploy/index.ts, patch `shift-in-analysis`): `shift: true` calls the
  // shiftTraffic mock first, so `calls` lists shiftTraffic then analyze whichever activity the move was in
  activities.analyze = shiftThenAnalyze(activities.shiftTraffic as (i: ShiftInput) => Promise<ShiftResult>, activities.analyze);
  // `airlock deploy` only (not a pipeline activity): recorded in `calls` like the others
  const findGateRecord = async (input: GateRecordInput): Promise<GateRecord> => {
    calls.push({ name: 'findGateRecord' as PipelineActivityName, input: input as unknown as Record<string, unknown>, attempt: Context.current().info.attempt, taskQueue: Context.current().info.taskQueue });
    return gateRecordOf(input);
  };
  const restoreRelease = async (input: { service: string; environment: string; toReleaseId?: string }) => {
    calls.push({ name: 'restoreRelease' as PipelineActivityName, input: input as unknown as Record<string, unknown>, attempt: Context.current().info.attempt, taskQueue: Context.current().info.taskQueue });
    const releaseId = input.toReleaseId ?? `${input.service}-${input.environment}-previous`;
    const image = `127.0.0.1:5000/${input.service}@${digestOf(releaseId)}`;
    running.set(`${input.service}/${input.environment}`, { releaseId, image });
    return { stable: { releaseId, image, containers: [`${releaseId}-1`] }, removed: [], reused: false };
  };
  // scheduled rescans (docs/compliance.md): the schedule is remembered per environment, the decision is the real one
  const schedules = new Map<string, RescanTarget>();
  const record = (name: string, input: unknown) =>
    calls.push({ name: name as PipelineActivityName, input: input as Record<string, unknown>, attempt: Context.current().info.attempt, taskQueue: Context.current().info.taskQueue });
  const scheduleRescan = async (input: { target: RescanTarget; policy: LoadedPolicy }) => {
    record('scheduleRescan', input);
    const scheduleId = `airlock-rescan/${input.target.service}/${input.target.environment}`;
    const created = !schedules.has(scheduleId);
    schedules.set(scheduleId, input.target);
    return { scheduleId, created, rescanEvery: input.policy.policy.compliance.rescanEvery };
  };
  // what the deploy state says serves (promote, restoreRelease), and the schedule's target moved to it (rescanTargetNow)
  const rescanTargetNow = async (input: { service: string; environment: string; movedBy: string }): Promise<RescanTarget | null> => {
    record('rescanTargetNow', input);
    const prev = schedules.get(`airlock-rescan/${input.service}/${input.environment}`);
    const now = running.get(`${input.service}/${input.environment}`);
    if (!prev || !now) return null;
    return { ...prev, releaseId: now.releaseId, image: now.image, pipelineId: input.movedBy };
  };
  const describeEnvironment = async (input: { service: string; environment: string }) => {
    record('describeEnvironment', input);
    if (!o.history) return null;
    return { service: input.service, environment: input.environment, history: o.history.map((r) => ({ ...r, promotedAt: new Date(0).toISOString() })) };
  };
  const driftSchedules = new Map<string, string>();
  const ensureDriftSchedule = async (input: { service: string; environment: string; every: string }) => {
    record('ensureDriftSchedule', input);
    const id = `airlock-drift/${input.service}/${input.environment}`;
    const was = driftSchedules.get(id);
    driftSchedules.set(id, input.every);
    return was === undefined ? 'created' : was === input.every ? 'unchanged' : 'updated';
  };
  const assess = async (input: { target: RescanTarget; scan: ScanSummary; policy: LoadedPolicy }) => {
    record('assessCompliance', input);
    return { ...assessCompliance(input, new Date()), statusDigest: 'sha256:' + 'c5'.repeat(32) };
  };
  // alerts (deliverNotification's activity): what each webhook was sent
  const delivered: DeliverEventInput[] = [];
  const deliverEvent = async (input: DeliverEventInput) => {
    delivered.push(input);
    return { status: 200, webhook: input.webhook.name, eventId: input.event.id };
  };
  const names = (filter?: (c: Call) => boolean) => calls.filter(filter ?? (() => true)).map((c) => c.name);
  /** The stages' calls, without the evidence chain's (recordEvidence, verifyEvidence). */
  const stageNames = () => names((c) => c.name !== 'recordEvidence' && c.name !== 'verifyEvidence');
  /** The links recorded, in order (a scan records two). */
  const links = () => calls.filter((c) => c.name === 'recordEvidence').map((c) => c.input.link as string);
  const steps = () => calls.filter((c) => c.name === 'shiftTraffic' || c.name === 'analyze').map((c) => `${c.name}(${(c.input.weight ?? c.input.step) as number})`);
  return {
    activities: {
      ...activities,
      ...createRoutingActivities({ roles: { split: o.roles?.split ?? false, pipeline: true, build: true, deploy: [] }, environmentTargets: o.roles?.environmentTargets ?? {} }),
      findGateRecord, restoreRelease, describeEnvironment, scheduleRescan, rescanTargetNow, ensureDriftSchedule, assessCompliance: assess, deliverEvent },
    calls,
    effects,
    names,
    stageNames,
    links,
    steps,
    schedules,
    driftSchedules,
    delivered,
  };
}
export type Mocks = ReturnType<typeof mockActivities>;
