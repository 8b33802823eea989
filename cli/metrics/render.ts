import type { Band, MetricsReport } from '../../model/metrics';
import { table } from '../output';

/** A duration for people: 42s, 3.5m, 2.1h, 4.0d. */
export function humanMs(ms: number | null): string {
  if (ms === null) return 'n/a';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)}h`;
  return `${(ms / 86_400_000).toFixed(1)}d`;
}

const pct = (r: number | null) => (r === null ? 'n/a' : `${(r * 100).toFixed(1)}%`);
const band = (b: Band | null) => b ?? 'n/a (no data)';
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, n]) => `${k.toLowerCase()} ${n}`)
    .join(', ');

/** The readable `airlock metrics` report. */
export function renderMetrics(m: MetricsReport): string {
  const { dora: d, security: s } = m;
  const scope = [m.filter.service ? `service ${m.filter.service}` : 'all services', m.filter.env ? `env ${m.filter.env}` : 'all environments'].join(', ');
  const out: string[] = [
    `airlock metrics: ${scope}, ${m.window.since} .. ${m.window.until} (${m.window.days.toFixed(1)} days)`,
    `pipelines triggered: ${m.pipelines.total}${m.pipelines.total ? ` (${counts(m.pipelines.byOutcome)})` : ''}`,
    '',
    'DORA (bands: Accelerate State of DevOps 2023, docs/metrics.md)',
    table(
      ['metric', 'value', 'band', 'from'],
      [
        ['deployment frequency', `${d.deploymentFrequency.perDay.toFixed(2)}/day (${d.deploymentFrequency.promoted} promoted)`, d.deploymentFrequency.band, 'promoted pipelines'],
        [
          'lead time for changes',
          `median ${humanMs(d.leadTime.medianMs)}`,
          band(d.leadTime.band),
          `${d.leadTime.samples} changes: git commit time -> promoted${d.leadTime.missingCommitTime ? ` (${d.leadTime.missingCommitTime} without a commit time: --repo)` : ''}`,
        ],
        ['change failure rate', pct(d.changeFailureRate.rate), band(d.changeFailureRate.band), `${d.changeFailureRate.rolledBack} rolled back / ${d.changeFailureRate.promoted + d.changeFailureRate.rolledBack}`],
        ['time to restore', `median ${humanMs(d.timeToRestore.medianMs)}`, band(d.timeToRestore.band), `${d.timeToRestore.samples} rollbacks: traffic -> stable at 100%`],
      ],
    ),
    '',
    'security',
    `  blocked by policy: ${s.blockedByPolicy.total}${s.blockedByPolicy.total ? ` (${Object.entries(s.blockedByPolicy.byRule).map(([r, n]) => `${r} ${n}`).join(', ')})` : ''}`,
    `  waiting for a human approval: median ${humanMs(s.approvalWait.medianMs)} (${s.approvalWait.samples} decisions)`,
    `  auto-approved: ${Object.entries(s.autoApproved).map(([level, a]) => `${level} ${pct(a.share)} of ${a.changes}`).join(', ')}`,
    `  time to detect a bad release: mean ${humanMs(s.timeToDetect.meanMs)} (${s.timeToDetect.samples} rollbacks: traffic -> failed check)`,
    `  running releases: ${s.runningReleases.releases.length}, scan coverage ${pct(s.runningReleases.scanCoverage)} (scanned within ${humanMs(s.runningReleases.scanIntervalMs)})`,
    `  open findings in running releases: vulnerabilities ${counts(s.runningReleases.openFindings.vulnerabilities)}; secrets ${s.runningReleases.openFindings.secrets}; misconfigurations ${s.runningReleases.openFindings.misconfigurations}`,
    `    (severity counts from each release's pipeline scan; scan times from the ${s.runningReleases.scanSource}; a rescan's blocking findings are in the table and in \`airlock compliance\`)`,
  ];
  if (s.runningReleases.releases.length) {
    out.push(
      '',
      table(
        ['service', 'env', 'promoted', 'scanned', 'rescan', 'vulnerabilities', 'secrets', 'misconfig'],
        s.runningReleases.releases.map((r) => [
          r.service,
          r.environment,
          r.promotedAt,
          `${r.scannedAt ?? 'never'}${r.scannedWithinInterval ? '' : ' (stale)'}`,
          r.rescan ? (r.rescan.compliant ? 'compliant' : `NOT compliant (${r.rescan.findings} blocking)`) : '-',
          counts(r.vulnerabilities),
          String(r.secrets),
          String(r.misconfigurations),
        ]),
      ),
    );
  }
  return out.join('\n');
}
