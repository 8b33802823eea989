import type { WorkflowHandle } from '@temporalio/client';
import type { PipelineResult, PipelineState } from '../../model/pipeline';
import { stateQuery } from '../../workflows/messages';
import { EXIT, ExitError } from '../errors';
import { printJson, progress } from '../output';
import { describeOutcome, exitCodeOf } from './exit-code';

export interface FollowOptions {
  quiet?: boolean;
  pollMs?: number;
  /** Called with every state seen (the demo's approvers act on it). */
  onState?: (state: PipelineState) => Promise<void>;
  /** A state already in hand (the trigger's Update-with-Start answer): the first poll uses it instead of a query. */
  first?: PipelineState;
}

/** Lines describing what changed between two states (stage, risk, findings, approvals, runtime security, traffic, analysis). */
export function describeProgress(prev: PipelineState | undefined, next: PipelineState, started: number, now: number): string[] {
  // (reassigned below when a promotion enters its next environment)
  const t = `[${((now - started) / 1000).toFixed(1).padStart(5)}s]`;
  const lines: string[] = [];
  // a promotion moves on to the next environment: its stages, gate, approvals and analysis start afresh
  if (prev && next.promotion && prev.environment !== next.environment) {
    lines.push(`${t} environment ${next.environment} (${next.promotion.current + 1} of ${next.promotion.environments.length})`);
    prev = { ...prev, analysis: [], approval: undefined, policy: undefined, runtimeSecurity: undefined, traffic: 0 } as PipelineState;
  }
  for (const [i, e] of (next.promotion?.environments ?? []).entries()) {
    const was = prev?.promotion?.environments[i];
    if (was?.status === e.status) continue;
    if (e.status === 'soaking') lines.push(`${t}   soaking in ${e.environment} for ${e.soak} (until ${e.soakUntil ?? '?'}), canary analysis repeated`);
    if (e.status === 'passed') lines.push(`${t}   passed in ${e.environment} (${e.digest ?? ''})`);
    if (e.status === 'failed') lines.push(`${t}   stopped in ${e.environment}: ${e.outcome ?? 'failed'}; nothing goes further`);
  }
  if (prev?.stage !== next.stage) lines.push(`${t} stage ${next.stage}`);
  if (!prev?.risk && next.risk) lines.push(`${t}   risk ${next.risk.level} (${next.risk.score}): ${next.risk.reasons.slice(0, 3).join('; ')}`);
  if (!prev?.image && next.image) lines.push(`${t}   image ${next.image}`);
  if (!prev?.findings && next.findings) {
    const v = Object.entries(next.findings.vulnerabilities).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s.toLowerCase()}`);
    lines.push(`${t}   scan: ${v.length ? v.join(', ') : 'no'} vulnerabilities, ${next.findings.secrets} secrets, ${next.findings.misconfigurations} misconfigurations`);
  }
  if (!prev?.policy && next.policy) lines.push(`${t}   policy ${next.policy.allowed ? 'allowed' : `BLOCKED: ${next.policy.violations.join('; ')}`}`);
  const before = prev?.approval?.decisions.length ?? 0;
  for (const d of next.approval?.decisions.slice(before) ?? [])
    lines.push(`${t}   ${d.automatic ? 'auto-approved' : `${d.decision} by ${d.approver}`}${d.reasons?.length ? `: ${d.reasons.join('; ')}` : ''}${d.comment ? `: ${d.comment}` : ''}`);
  const rs = next.runtimeSecurity;
  if (!prev?.runtimeSecurity && rs)
    lines.push(`${t}   runtime security ${rs.passed ? `passed (${rs.requests} requests, ${rs.durationMs} ms)` : `NOT PASSED: ${rs.blocking.slice(0, 3).join('; ')}`}`);
  if (prev && prev.traffic !== next.traffic) lines.push(`${t}   traffic to candidate ${next.traffic}%`);
  for (const v of next.analysis.slice(prev?.analysis.length ?? 0))
    lines.push(`${t}   canary analysis at ${v.step}%: ${v.verdict}${v.reason ? ` (${v.reason})` : ''}`);
  return lines;
}

/** Hint printed once when a pipeline waits for people. */
export function approvalHint(state: PipelineState): string | undefined {
  const a = state.approval;
  if (state.stage !== 'approval' || !a || a.needed === 0) return undefined;
  const groups = a.groups.length ? ` from ${a.groups.join(' or ')}` : '';
  const req = a.require.length ? `, at least one from ${a.require.join(', ')}` : '';
  return `waiting for ${a.needed} approval(s)${groups}${req}${a.deadline ? ` until ${a.deadline}` : ''}:\n    airlock approve ${state.pipelineId} --as <identity> [--comment ...]\n    airlock reject ${state.pipelineId} --as <identity> --reason ...`;
}

/** Polls the state query, printing progress, until the pipeline ends; returns its result. */
export async function followPipeline(handle: WorkflowHandle, opts: FollowOptions = {}): Promise<PipelineResult> {
  const started = Date.now();
  let prev: PipelineState | undefined;
  let hinted = false;
  let done = false;
  const result = handle.result().finally(() => {
    done = true;
  }) as Promise<PipelineResult>;
  let first = opts.first;
  while (!done) {
    const state = first ?? (await handle.query(stateQuery).catch(() => undefined));
    first = undefined;
    if (state && !opts.quiet) {
      for (const line of describeProgress(prev, state, started, Date.now())) progress(line);
      const hint = approvalHint(state);
      if (hint && !hinted) {
        progress(hint);
        hinted = true;
      }
    }
    if (state && opts.onState) await opts.onState(state);
    prev = state ?? prev;
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, opts.pollMs ?? 1000))]);
  }
  const final = await result;
  if (!opts.quiet) {
    const last = await handle.query(stateQuery).catch(() => undefined);
    if (last) for (const line of describeProgress(prev, last, started, Date.now())) progress(line);
  }
  return final;
}

/**
 * `trigger --wait`: follows the pipeline to its end, prints the outcome (as JSON with `json`) and ends
 * with the outcome's exit code: returns when promoted, else throws ExitError(exitCodeOf(outcome)).
 */
export async function waitForOutcome(handle: WorkflowHandle, out: { json: boolean; runId: string; attached: boolean }, opts: FollowOptions = {}): Promise<void> {
  const result = await followPipeline(handle, { ...opts, quiet: out.json });
  if (out.json) printJson({ runId: out.runId, attached: out.attached, ...result });
  else progress(`outcome: ${describeOutcome(result.outcome)}`);
  const code = exitCodeOf(result.outcome);
  if (code !== EXIT.ok) throw new ExitError(code, '');
}
