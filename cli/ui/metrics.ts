import { computeMetrics, type MetricsReport, type PipelineRecord, type RescanRecord } from '../../model/metrics';
import { humanMs } from '../metrics/render';
import { esc, layout } from './html';

// The metrics page: `airlock metrics` (model/metrics.ts computeMetrics) over the whole window, and the
// same computation per day or week of it, drawn as bar charts over time. Pure: records in, HTML out.

const DAY = 86_400_000;
export const WINDOWS = [7, 30, 90] as const;

export interface MetricsSeries {
  total: MetricsReport;
  buckets: { label: string; report: MetricsReport }[];
}

/**
 * The window's report and one per bucket, oldest first: calendar days (UTC) for a week, else weeks from the
 * window's first midnight. The first and last buckets are clipped to the window, so the buckets add up to it.
 */
export function metricsSeries(records: PipelineRecord[], now: Date, days: number, filter: { service?: string; env?: string }, rescans: RescanRecord[] = []): MetricsSeries {
  const since = new Date(now.getTime() - days * DAY);
  const step = days <= 7 ? DAY : 7 * DAY;
  const buckets: MetricsSeries['buckets'] = [];
  for (let mark = Math.floor(since.getTime() / DAY) * DAY; mark < now.getTime(); mark += step) {
    const start = new Date(Math.max(mark, since.getTime()));
    const end = new Date(Math.min(mark + step, now.getTime()));
    // a record exactly on a boundary belongs to the later bucket: windows include both ends
    const inner = new Date(end.getTime() - (end.getTime() === now.getTime() ? 0 : 1));
    buckets.push({ label: new Date(mark).toISOString().slice(5, 10), report: computeMetrics(records, inner, { since: start, filter }) });
  }
  // the newest rescans are of now: they count for the whole window's running releases, not per bucket
  return { total: computeMetrics(records, now, { since, filter, rescans }), buckets };
}

const W = 320;
const H = 130;

/** A bar chart of one value per bucket; null (no data) is drawn as an empty slot labelled n/a. */
export function barChart(title: string, points: { label: string; value: number | null }[], format: (v: number) => string): string {
  const max = Math.max(0, ...points.map((p) => p.value ?? 0)) || 1;
  const slot = (W - 20) / Math.max(points.length, 1);
  const bars = points
    .map((p, i) => {
      const x = 10 + i * slot;
      const h = p.value === null ? 0 : (p.value / max) * (H - 40);
      const text = p.value === null ? 'n/a' : format(p.value);
      return `<g><rect class="bar" x="${(x + slot * 0.15).toFixed(1)}" y="${(H - 20 - h).toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${p.label}: ${text}`)}</title></rect>${
        points.length <= 14 ? `<text class="label" x="${(x + slot / 2).toFixed(1)}" y="${H - 6}" text-anchor="middle">${esc(p.label)}</text>` : ''
      }${p.value !== null && points.length <= 14 ? `<text class="value" x="${(x + slot / 2).toFixed(1)}" y="${(H - 24 - h).toFixed(1)}" text-anchor="middle">${esc(text)}</text>` : ''}</g>`;
    })
    .join('');
  const described = points.map((p) => `${p.label} ${p.value === null ? 'n/a' : format(p.value)}`).join(', ');
  return `<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(`${title}: ${described}`)}"><line class="axis" x1="10" y1="${H - 20}" x2="${W - 10}" y2="${H - 20}"/>${bars}</svg><figcaption>${esc(title)}</figcaption></figure>`;
}

const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(0)}%`);

export function metricsPage(s: MetricsSeries, days: number, filter: { service?: string; env?: string }): string {
  const t = s.total;
  const d = t.dora;
  const sec = t.security;
  const card = (name: string, value: string, band?: string | null) =>
    `<div class="card"><div class="small">${esc(name)}</div><div class="big">${esc(value)}</div>${band !== undefined ? `<div class="band band-${esc(band ?? 'none')}">${esc(band ?? 'no data')}</div>` : ''}</div>`;
  const series = (pick: (r: MetricsReport) => number | null) => s.buckets.map((b) => ({ label: b.label, value: pick(b.report) }));
  const per = days <= 7 ? 'day' : 'week';
  const findings = Object.entries(sec.runningReleases.openFindings.vulnerabilities).map(([k, n]) => `${k.toLowerCase()} ${n}`).join(', ') || 'none';
  return layout(
    'Metrics',
    '/metrics',
    `<h1>Metrics</h1>
<form class="filters" method="get" action="/metrics">
<label>service <input name="service" value="${esc(filter.service ?? '')}" size="12"></label>
<label>environment <input name="env" value="${esc(filter.env ?? '')}" size="12"></label>
<label>window <select name="days">${WINDOWS.map((w) => `<option value="${w}"${w === days ? ' selected' : ''}>last ${w} days</option>`).join('')}</select></label>
<button type="submit">Show</button>
</form>
<p class="small">${esc(`${t.window.since.slice(0, 16).replace('T', ' ')}Z to ${t.window.until.slice(0, 16).replace('T', ' ')}Z: ${t.pipelines.total} pipelines (${Object.entries(t.pipelines.byOutcome).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); the same numbers as airlock metrics --since ${days}d`)}</p>
<h2>DORA</h2>
<div class="cards">
${card('deployment frequency', `${d.deploymentFrequency.perDay.toFixed(2)}/day`, d.deploymentFrequency.band)}
${card('lead time (median)', humanMs(d.leadTime.medianMs), d.leadTime.band)}
${card('change failure rate', pct(d.changeFailureRate.rate), d.changeFailureRate.band)}
${card('time to restore (median)', humanMs(d.timeToRestore.medianMs), d.timeToRestore.band)}
</div>
<div class="charts">
${barChart(`deployments per ${per}`, series((r) => r.dora.deploymentFrequency.promoted), (v) => String(v))}
${barChart(`change failure rate per ${per}`, series((r) => r.dora.changeFailureRate.rate), (v) => `${(v * 100).toFixed(0)}%`)}
${barChart(`lead time per ${per} (median)`, series((r) => r.dora.leadTime.medianMs), humanMs)}
${barChart(`time to restore per ${per} (median)`, series((r) => r.dora.timeToRestore.medianMs), humanMs)}
</div>
<h2>Security</h2>
<div class="cards">
${card('blocked by policy', String(sec.blockedByPolicy.total))}
${card('approval wait (median)', humanMs(sec.approvalWait.medianMs))}
${card('time to detect (mean)', humanMs(sec.timeToDetect.meanMs))}
${card('running releases scanned', pct(sec.runningReleases.scanCoverage))}
</div>
<p>blocked by rule: ${esc(Object.entries(sec.blockedByPolicy.byRule).map(([k, n]) => `${k} ${n}`).join(', ') || 'none')} · automatic approvals: ${esc(
      Object.entries(sec.autoApproved).map(([level, a]) => `${level} ${a.automatic}/${a.changes}`).join(', '),
    )} · open findings in running releases: ${esc(findings)}, secrets ${esc(sec.runningReleases.openFindings.secrets)}</p>
<div class="charts">
${barChart(`blocked by policy per ${per}`, series((r) => r.security.blockedByPolicy.total), (v) => String(v))}
${barChart(`approval wait per ${per} (median)`, series((r) => r.security.approvalWait.medianMs), humanMs)}
</div>`,
  );
}
