import type { CanaryVerdict, Measurement } from '../../model/deploy';
import { esc } from './html';

// The canary measurements as inline SVG, one small chart per metric: values in order of measurement,
// the threshold as a dashed line, each point coloured by its status. SVG in the page needs no script,
// so the strict CSP stays; colours come from classes in style.css.

const W = 320;
const H = 120;
const PAD = { left: 44, right: 8, top: 10, bottom: 22 };

function statusOf(m: Measurement): string {
  return m.status ?? (m.passed ? 'pass' : 'fail');
}

/** Charts of every metric measured with a numeric value, in measurement order; '' when there is none. */
export function canaryChart(verdicts: readonly CanaryVerdict[]): string {
  const byMetric = new Map<string, Measurement[]>();
  for (const v of verdicts) for (const m of v.measurements) byMetric.set(m.metric, [...(byMetric.get(m.metric) ?? []), m]);
  const charts = [...byMetric].filter(([, ms]) => ms.some((m) => m.value !== null)).map(([metric, ms]) => metricChart(metric, ms));
  return charts.length ? `<div class="charts">${charts.join('')}</div>` : '';
}

export function metricChart(metric: string, ms: readonly Measurement[]): string {
  const values = ms.flatMap((m) => (m.value === null ? [] : [m.value]));
  const lo = Math.min(...values, ms[0]!.threshold);
  const hi = Math.max(...values, ms[0]!.threshold);
  const span = hi - lo || Math.abs(hi) || 1;
  const [y0, y1] = [lo - span * 0.1, hi + span * 0.1];
  const x = (i: number) => PAD.left + (ms.length === 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (ms.length - 1));
  const y = (v: number) => PAD.top + (1 - (v - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString());
  const points = ms.map((m, i) => (m.value === null ? undefined : { i, m, px: x(i), py: y(m.value) }));
  const line = points.filter((p) => p).map((p) => `${p!.px.toFixed(1)},${p!.py.toFixed(1)}`).join(' ');
  const threshold = ms[0]!.threshold;
  const dots = points
    .filter((p) => p)
    .map(
      (p) =>
        `<circle class="pt ${esc(statusOf(p!.m))}" cx="${p!.px.toFixed(1)}" cy="${p!.py.toFixed(1)}" r="4"><title>${esc(
          `${metric} at ${p!.m.step}%: ${fmt(p!.m.value!)} (threshold ${fmt(p!.m.threshold)}) ${statusOf(p!.m)}${p!.m.note ? `: ${p!.m.note}` : ''}`,
        )}</title></circle>`,
    )
    .join('');
  const steps = [...new Set(ms.map((m) => m.step))].map((s) => `${s}%`).join(', ');
  const passed = ms.filter((m) => statusOf(m) === 'pass').length;
  return `<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(`${metric}: ${ms.length} measurements at ${steps}, ${passed} passed, threshold ${fmt(threshold)}`)}">
<line class="axis" x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}"/>
<line class="threshold" x1="${PAD.left}" y1="${y(threshold).toFixed(1)}" x2="${W - PAD.right}" y2="${y(threshold).toFixed(1)}"/>
<text class="label" x="${PAD.left - 4}" y="${(y(threshold) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(threshold))}</text>
<text class="label" x="${PAD.left}" y="${H - 6}">${esc(`steps ${steps}`)}</text>
${line ? `<polyline class="series" points="${line}"/>` : ''}${dots}
</svg><figcaption>${esc(metric)}</figcaption></figure>`;
}
