import { OUTCOMES, STAGES } from '../../model/pipeline';
import type { ListFilters, PipelineRow } from '../commands/inspect';
import { describeOutcome } from '../pipeline/exit-code';
import { canaryChart } from './chart';
import type { EnvironmentView, PipelineView } from './data';
import { age, clock, esc, layout, pipelineHref, secs } from './html';

// Server-rendered pages: pure functions from what data.ts read to HTML. The parts that change while a
// pipeline runs are fragments the page's script (static/app.js) fetches again every few seconds.

const listQueryString = (f: ListFilters): string => new URLSearchParams(Object.entries(f).filter(([, v]) => v) as [string, string][]).toString();

const short = (id: string): string => id.replace(/\/([0-9a-f]{12})[0-9a-f]{28,52}$/, '/$1');

export function pipelineRows(rows: readonly PipelineRow[], now: number): string {
  if (!rows.length) return '<tr><td colspan="7">no pipelines match</td></tr>';
  return rows
    .map(
      (r) => `<tr data-pipeline="${esc(r.pipelineId)}">
<td><a href="${esc(pipelineHref(r.pipelineId))}">${esc(short(r.pipelineId))}</a></td>
<td>${esc(r.service)}</td><td>${esc(r.environment)}</td>
<td><span class="stage stage-${esc(r.stage)}">${esc(r.stage === 'approval' && r.status === 'RUNNING' ? 'awaiting approval' : r.stage)}</span></td>
<td><span class="risk risk-${esc(r.risk)}">${esc(r.risk)}</span></td>
<td><span class="outcome outcome-${esc(r.outcome)}">${esc(r.outcome || r.status.toLowerCase())}</span></td>
<td><time datetime="${esc(r.started)}" title="${esc(clock(r.started))}">${esc(age(r.started, now))}</time></td>
</tr>`,
    )
    .join('\n');
}

const select = (name: string, label: string, options: readonly string[], value?: string) =>
  `<label>${label} <select name="${name}"><option value="">any</option>${options.map((o) => `<option${o === value ? ' selected' : ''}>${esc(o)}</option>`).join('')}</select></label>`;

export function listPage(rows: readonly PipelineRow[], filters: ListFilters, now: number): string {
  const qs = listQueryString(filters);
  return layout(
    'Pipelines',
    '/',
    `<h1>Pipelines</h1>
<form class="filters" method="get" action="/">
<label>service <input name="service" value="${esc(filters.service ?? '')}" size="12"></label>
<label>environment <input name="env" value="${esc(filters.env ?? '')}" size="12"></label>
${select('stage', 'stage', STAGES, filters.stage)}
${select('outcome', 'outcome', OUTCOMES, filters.outcome)}
<button type="submit">Filter</button>
</form>
<div class="table-wrap"><table class="pipelines">
<caption>Newest first; updates every 2 seconds.</caption>
<thead><tr><th scope="col">pipeline</th><th scope="col">service</th><th scope="col">environment</th><th scope="col">stage</th><th scope="col">risk</th><th scope="col">outcome</th><th scope="col">age</th></tr></thead>
<tbody data-live="/fragments/pipelines${qs ? `?${qs}` : ''}">
${pipelineRows(rows, now)}
</tbody></table></div>`,
  );
}

const SIGNATURE_NOTE: Record<string, string> = {
  verified: 'signature verified',
  invalid: 'signature INVALID',
  'unknown-approver': 'approver not in the policy',
  'not-signed': 'automatic (not signed)',
};

/** The part of the pipeline page that changes while it runs (the timeline of `airlock history`, with the live stage). */
/**
 * Whether approve/reject/abort can still change anything: the workflow runs and has no outcome yet (since the
 * two-step promote the outcome is final while the workflow still settles the old release).
 */
const decidable = (v: PipelineView): boolean => v.status === 'RUNNING' && !v.state?.outcome;

export function pipelineLive(v: PipelineView): string {
  const tl = v.timeline;
  const s = v.state;
  const waiting = v.status === 'RUNNING' && s?.stage === 'approval';
  const out: string[] = [];
  const stage = s?.stage ?? (tl.status === 'running' ? 'running' : 'done');
  out.push(`<div class="summary" data-waiting="${waiting}" data-running="${decidable(v)}">
<p><span class="status">${esc(v.status.toLowerCase())}</span> · stage <strong class="stage stage-${esc(stage)}">${esc(waiting ? 'awaiting approval' : stage)}</strong>${s && s.traffic ? ` · candidate traffic ${esc(s.traffic)}%` : ''}</p>`);
  if (tl.input) out.push(`<p>${esc(tl.input.service)} → ${esc(tl.input.environment)} · commits <code>${esc(tl.input.baseCommit.slice(0, 12))}..${esc(tl.input.headCommit.slice(0, 12))}</code> · author ${esc(tl.input.author)} · trigger ${esc(tl.input.trigger.ci)}</p>`);
  if (v.stateError) out.push(`<p class="note">live state unavailable (${esc(v.stateError)}); the timeline below comes from the history</p>`);
  const outcome = tl.result?.outcome ?? s?.outcome;
  if (outcome) out.push(`<p class="outcome outcome-${esc(outcome.kind)}">outcome: ${esc(describeOutcome(outcome))}</p>`);
  if (waiting && s?.approval) {
    const a = s.approval;
    out.push(`<p class="waiting">waiting for ${esc(a.needed)} approval${a.needed === 1 ? '' : 's'}${a.require.length ? ` (required: ${esc(a.require.join(', '))})` : ''} from ${a.groups.length ? esc(a.groups.join(', ')) : 'any approver group'}${a.deadline ? `, until ${esc(clock(a.deadline))}` : ''}</p>`);
  }
  out.push('</div>');
  out.push(`<h2>Stages</h2><div class="table-wrap"><table><thead><tr><th scope="col">stage</th><th scope="col">started</th><th scope="col">took</th><th scope="col">result</th></tr></thead><tbody>
${tl.stages.map((st) => `<tr><td>${esc(st.activity)}</td><td>${esc(clock(st.startedAt))}</td><td>${esc(secs(st.durationMs))}</td><td class="result-${esc(st.result)}">${esc(st.detail ? `${st.result}: ${st.detail}` : st.result)}${st.attempts && st.attempts > 1 ? ` (attempt ${esc(st.attempts)})` : ''}</td></tr>`).join('\n')}
</tbody></table></div>`);
  const risk = tl.risk ?? s?.risk;
  if (risk) out.push(`<h2>Risk: <span class="risk risk-${esc(risk.level)}">${esc(risk.level)}</span> (score ${esc(risk.score)})</h2><ul>${risk.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>`);
  if (tl.image) out.push(`<p>image <code class="wrap">${esc(tl.image)}</code></p>`);
  if (tl.scan) {
    const vulns = Object.entries(tl.scan.vulnerabilities).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ') || 'none';
    out.push(`<h2>Findings</h2><ul><li>vulnerabilities: ${esc(vulns)}</li><li>secrets: ${esc(tl.scan.secrets.length)}${tl.scan.secrets.map((x) => ` · ${esc(x.ruleId)} in ${esc(x.target)}`).join('')}</li><li>misconfigurations: ${esc(tl.scan.misconfigurations.join(', ') || 'none')}</li>${tl.scan.imageUser ? `<li>runs as ${esc(tl.scan.imageUser)}</li>` : ''}</ul>`);
  }
  if (tl.policy) {
    out.push(`<h2>Policy: <span class="${tl.policy.allowed ? 'ok' : 'bad'}">${tl.policy.allowed ? 'allowed' : 'blocked'}</span></h2><p class="small">policy sha256 <code class="wrap">${esc(tl.policy.policyDigest)}</code></p><ul>${tl.policy.violations.map((x) => `<li>${esc(x)}</li>`).join('')}${tl.policy.exceptionsApplied.map((x) => `<li>exception applied: ${esc(x)}</li>`).join('')}</ul>`);
  }
  out.push(`<h2>Approvals</h2>${
    tl.decisions.length
      ? `<ul class="decisions">${tl.decisions.map((d) => `<li><strong>${esc(d.decision)}</strong> by ${esc(d.approver)}${d.groups?.length ? ` (${esc(d.groups.join(', '))})` : ''} at ${esc(clock(d.at))} · <span class="sig-${esc(d.signature)}">${esc(SIGNATURE_NOTE[d.signature] ?? d.signature)}</span>${d.comment ? `: “${esc(d.comment)}”` : ''}${d.reasons ? ` (${esc(d.reasons.join('; '))})` : ''}</li>`).join('')}</ul>`
      : '<p>none yet</p>'
  }`);
  const canary = tl.canary.length ? tl.canary : (s?.analysis ?? []);
  if (canary.length) {
    out.push(`<h2>Canary analysis</h2><ul>${canary.map((c) => `<li>at ${esc(c.step)}%: <span class="${c.verdict === 'pass' ? 'ok' : 'bad'}">${esc(c.verdict)}</span>${c.reason ? ` (${esc(c.reason)})` : ''}</li>`).join('')}</ul>${canaryChart(canary)}`);
  }
  return out.join('\n');
}

export function pipelinePage(v: PipelineView): string {
  const id = v.id;
  const waiting = v.status === 'RUNNING' && v.state?.stage === 'approval';
  return layout(
    short(id),
    '',
    `<h1 class="wrap">${esc(id)}</h1>
<section id="live" aria-live="polite" data-live="/fragments/pipeline?id=${esc(encodeURIComponent(id))}">
${pipelineLive(v)}
</section>
<section id="decide" data-pipeline="${esc(id)}"${decidable(v) ? '' : ' hidden'}>
<h2>Decide</h2>
<p class="small">Your key file (the one <code>airlock keys create</code> wrote, <code>$AIRLOCK_HOME/keys/&lt;you&gt;.ed25519</code>) is read and used in this page only: the page signs the pipeline's bound message with it (WebCrypto Ed25519) and sends the signature. The pipeline's validator decides.</p>
<form id="decide-form">
<label for="key-file">Key file</label>
<input type="file" id="key-file" accept=".ed25519,text/plain">
<p id="key-status" class="small" role="status"></p>
<label for="approver">Approver id</label>
<input id="approver" name="approver" autocomplete="username" required maxlength="100">
<label for="comment">Comment (required to reject or abort)</label>
<textarea id="comment" name="comment" maxlength="500" rows="2"></textarea>
<div class="buttons">
<button type="submit" name="decision" value="approve" class="approve"${waiting ? '' : ' disabled'}>Approve</button>
<button type="submit" name="decision" value="reject" class="reject"${waiting ? '' : ' disabled'}>Reject</button>
<button type="submit" name="decision" value="abort" class="abort">Abort</button>
</div>
<p id="decide-result" role="status" aria-live="polite"></p>
</form>
</section>`,
  );
}

export function releasesPage(envs: readonly EnvironmentView[], filters: Pick<ListFilters, 'service' | 'env'>, now: number): string {
  const body = envs.length
    ? envs
        .map(
          (e) => `<section class="env"><h2>${esc(e.service)} in ${esc(e.environment)}</h2>
${
  e.running
    ? `<p>runs <code class="wrap">${esc(e.running.image ?? '(image unknown)')}</code> from <a href="${esc(pipelineHref(e.running.pipelineId))}">${esc(short(e.running.pipelineId))}</a></p>
<p class="small">check its evidence chain: <code class="wrap">airlock verify ${esc(e.running.image ?? '<image@digest>')} --env ${esc(e.environment)}</code></p>`
    : '<p>nothing promoted yet</p>'
}
<div class="table-wrap"><table><caption>recent pipelines</caption><thead><tr><th scope="col">pipeline</th><th scope="col">service</th><th scope="col">environment</th><th scope="col">stage</th><th scope="col">risk</th><th scope="col">outcome</th><th scope="col">age</th></tr></thead>
<tbody>${pipelineRows(e.history, now)}</tbody></table></div></section>`,
        )
        .join('\n')
    : '<p>no pipelines yet</p>';
  return layout(
    'Releases',
    '/releases',
    `<h1>Releases per environment</h1>
<form class="filters" method="get" action="/releases">
<label>service <input name="service" value="${esc(filters.service ?? '')}" size="12"></label>
<label>environment <input name="env" value="${esc(filters.env ?? '')}" size="12"></label>
<button type="submit">Filter</button>
</form>
<p class="small">Most recently active first; the last 5 pipelines of each.</p>
${body}`,
  );
}

export function errorPage(status: number, message: string): string {
  return layout(`Error ${status}`, '', `<h1>Error ${status}</h1><p class="bad">${esc(message)}</p><p><a href="/">all pipelines</a></p>`);
}
