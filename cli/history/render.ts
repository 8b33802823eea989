import type { Measurement } from '../../model/deploy';
import type { PipelineState } from '../../model/pipeline';
import { describeOutcome } from '../pipeline/exit-code';
import { table } from '../output';
import type { Timeline } from './timeline';

const secs = (ms?: number) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);
const clock = (at?: string) => (at ? at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

/** The readable `airlock history` timeline. */
export function renderTimeline(tl: Timeline): string {
  const out: string[] = [];
  const i = tl.input;
  out.push(`pipeline ${tl.pipelineId}  (${tl.status})`);
  if (i) {
    out.push(`  ${i.service} -> ${i.environment}  ${i.baseCommit.slice(0, 12)}..${i.headCommit.slice(0, 12)}  author ${i.author}  trigger ${i.trigger.ci}${i.trigger.runUrl ? ` ${i.trigger.runUrl}` : ''}`);
  }
  out.push(`  started ${clock(tl.startedAt)}${tl.closedAt ? `, closed ${clock(tl.closedAt)} (${secs(Date.parse(tl.closedAt) - Date.parse(tl.startedAt ?? tl.closedAt))})` : ''}`, '');
  // a promotion's stages run in several environments: each row names its own
  const several = new Set(tl.stages.map((s) => s.environment).filter(Boolean)).size > 1;
  out.push(
    table(
      ['stage', 'started', 'took', 'result', 'attempts'],
      tl.stages.map((s) => [several ? `${s.activity}${s.environment ? ` [${s.environment}]` : ''}` : s.activity, clock(s.startedAt), secs(s.durationMs), s.detail ? `${s.result}: ${s.detail}` : s.result, String(s.attempts ?? '')]),
    ),
  );
  if (tl.risk) {
    out.push('', `risk: ${tl.risk.level} (score ${tl.risk.score})`);
    for (const r of tl.risk.reasons) out.push(`  - ${r}`);
  }
  if (tl.image) out.push('', `image: ${tl.image}`);
  if (tl.scan) {
    const v = Object.entries(tl.scan.vulnerabilities).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ');
    out.push(`scan: vulnerabilities ${v}; secrets ${tl.scan.secrets.length}${tl.scan.secrets.length ? ` (${tl.scan.secrets.map((s) => `${s.ruleId} in ${s.target}`).join(', ')})` : ''}; misconfigurations ${tl.scan.misconfigurations.length ? tl.scan.misconfigurations.join(', ') : 'none'}${tl.scan.imageUser ? `; runs as ${tl.scan.imageUser}` : ''}`);
    out.push(`  report sha256 ${tl.scan.reportDigest}, SBOM sha256 ${tl.scan.sbomDigest}`);
  }
  if (tl.policy) {
    out.push(`policy: ${tl.policy.allowed ? 'allowed' : 'BLOCKED'} (policy sha256 ${tl.policy.policyDigest})`);
    for (const v of tl.policy.violations) out.push(`  - ${v}`);
    for (const x of tl.policy.exceptionsApplied) out.push(`  exception applied: ${x}`);
  }
  if (tl.decisions.length) {
    out.push('', 'decisions:');
    for (const d of tl.decisions)
      out.push(`  ${clock(d.at)}  ${d.decision} by ${d.approver}${d.groups?.length ? ` (${d.groups.join(', ')})` : ''}  signature ${d.signature}${d.comment ? `  "${d.comment}"` : ''}${d.reasons ? `  ${d.reasons.join('; ')}` : ''}`);
  }
  for (const s of tl.signals) out.push(`signal ${s.name} at ${clock(s.at)}: ${JSON.stringify(s.args[0] ?? '')}`);
  if (tl.runtimeSecurity) {
    const r = tl.runtimeSecurity;
    out.push('', `runtime security: ${r.passed ? 'passed' : 'NOT PASSED'} (${r.requests} requests to ${r.endpoints} endpoints in ${secs(r.durationMs)})`);
    for (const [check, v] of Object.entries(r.checks)) out.push(`  ${check}: ${v.status} (${v.detail})`);
    for (const f of r.findings) out.push(`  ${f.blocking ? 'BLOCKING' : 'reported'} ${f.check} ${f.endpoint}: ${f.detail}`);
    for (const x of r.exceptionsApplied) out.push(`  exception applied: ${x.id} (owner ${x.owner}, expires ${x.expires}): ${x.covered.join(', ')}`);
  }
  if (tl.canary.length) {
    out.push('', 'canary analysis:');
    for (const v of tl.canary) {
      const seen = v.requests ? `; requests seen: candidate ${v.requests.candidate}, stable ${v.requests.stable ?? 'none'}` : '';
      const checks = v.checks !== undefined ? `; ${v.checks} checks, ${v.failedChecks ?? 0} failed, ${v.inconclusiveChecks ?? 0} inconclusive` : '';
      out.push(`  at ${v.step}%: ${v.verdict}${seen}${checks}${v.reason ? ` (${v.reason})` : ''}`);
      // patch `shift-in-analysis`: the step's traffic move was this activity's first act
      if (v.traffic) out.push(`    traffic moved to ${v.traffic.weight}% at ${v.traffic.at} (${v.traffic.ms} ms)`);
      for (const m of v.measurements) out.push(`    ${measurementLine(m)}`);
    }
  }
  if (tl.result) out.push('', `outcome: ${describeOutcome(tl.result.outcome)}`);
  return out.join('\n');
}

const STATUS_WORD = { pass: 'ok', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', skipped: 'skipped' } as const;

/** One measurement: value against threshold (and stable's), counts and p-value, the status and why. */
export function measurementLine(m: Measurement): string {
  const status = m.status ?? (m.passed ? 'pass' : 'fail');
  const stable = m.stableValue !== undefined ? `, stable ${m.stableValue ?? 'no data'}` : '';
  const counts = m.counts ? ` [${m.counts.candidate.join('/')}${m.counts.stable ? ` vs ${m.counts.stable.join('/')}` : ''}${m.pValue !== undefined ? `, p=${m.pValue}` : ''}]` : '';
  return `${clock(m.at)}  #${m.check ?? '?'} ${m.metric} = ${m.value ?? 'no data'} (threshold ${m.threshold}${stable})${counts} ${STATUS_WORD[status]}${m.note ? `: ${m.note}` : ''}`;
}

/** The readable `airlock status`. */
/** A promotion's environments, one line each: where it stands, the approval level, soak, "passed in". */
export function renderPromotion(p: NonNullable<PipelineState['promotion']>): string[] {
  const out = [`  promotion of release ${p.release}${p.risk ? `, change risk ${p.risk}` : ''} (${p.from}):`];
  for (const [i, e] of p.environments.entries()) {
    const here = i === p.current && (e.status === 'running' || e.status === 'soaking') ? ' <-' : '';
    const detail = [
      e.level ? `approvals at ${e.level}` : '',
      e.soak !== '0s' ? `soak ${e.soak}${e.soakUntil ? ` until ${e.soakUntil}` : ''}` : '',
      e.passedAt ? `passed${e.skipped ? ' by an earlier pipeline' : ''} at ${e.passedAt} (${e.digest ?? ''})` : '',
      e.outcome ? `ended ${e.outcome}` : '',
    ].filter(Boolean);
    out.push(`    ${i + 1}. ${e.environment.padEnd(12)} ${e.status}${detail.length ? `  ${detail.join(', ')}` : ''}${here}`);
  }
  for (const line of p.ignored) out.push(`    not taken from the change: ${line}`);
  return out;
}

export function renderState(s: PipelineState, status: string): string {
  const out = [`pipeline ${s.pipelineId}  (${status})`, `  ${s.service} -> ${s.environment}  commit ${s.headCommit.slice(0, 12)}  author ${s.author}`, `  stage: ${s.stage}`];
  if (s.promotion) out.push(...renderPromotion(s.promotion));
  if (s.risk) out.push(`  risk: ${s.risk.level} (score ${s.risk.score})${s.risk.reasons.length ? `: ${s.risk.reasons.slice(0, 3).join('; ')}` : ''}`);
  if (s.image) out.push(`  image: ${s.image}`);
  if (s.findings) out.push(`  findings: ${Object.entries(s.findings.vulnerabilities).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ')}; secrets ${s.findings.secrets}; misconfigurations ${s.findings.misconfigurations}`);
  if (s.policy) out.push(`  policy: ${s.policy.allowed ? 'allowed' : `blocked: ${s.policy.violations.join('; ')}`}`);
  if (s.approval)
    out.push(
      `  approvals: ${s.approval.decisions.filter((d) => d.decision === 'approve').length}/${s.approval.needed}${s.approval.require.length ? ` (needs ${s.approval.require.join(', ')})` : ''}${s.approval.deadline ? `, deadline ${s.approval.deadline}` : ''}`,
      ...s.approval.decisions.map((d) => `    ${d.decision} by ${d.approver}${d.automatic ? ' (automatic)' : ''} at ${d.at}${d.comment ? `: ${d.comment}` : ''}`),
    );
  if (s.runtimeSecurity)
    out.push(
      `  runtime security: ${s.runtimeSecurity.passed ? 'passed' : 'NOT PASSED'}`,
      ...Object.entries(s.runtimeSecurity.checks).map(([k, v]) => `    ${k}: ${v}`),
      ...s.runtimeSecurity.blocking.map((b) => `    BLOCKING ${b}`),
    );
  out.push(`  traffic to candidate: ${s.traffic}%`);
  for (const v of s.analysis) {
    const seen = v.requests ? `; requests candidate ${v.requests.candidate}, stable ${v.requests.stable ?? 'none'}` : '';
    out.push(`  canary analysis at ${v.step}%: ${v.verdict}${seen}${v.reason ? ` (${v.reason})` : ''}`);
    // the checks' values against their thresholds, the last check of the step (the one that decided)
    const lastCheck = Math.max(0, ...v.measurements.map((m) => m.check ?? 0));
    for (const m of v.measurements.filter((x) => (x.check ?? 0) === lastCheck)) out.push(`    ${measurementLine(m)}`);
  }
  if (s.outcome) out.push(`  outcome: ${describeOutcome(s.outcome)}`);
  return out.join('\n');
}
