import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { lineLogger } from '../../activities/shared';
import { readEvidence, evidencePath } from '../../activities/evidence/store';
import { scanImage, trivyBinary } from '../../activities/scan';
import { describeUser } from '../../model/image-user';
import type { ScanSummary } from '../../model/scan';
import { loadConfig } from '../../infra/config';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { printJson, progress, table } from '../output';

const usage = `usage: airlock scan <image@sha256:digest> [--json] [--sbom <file>]

Scans a pinned image with Trivy (vulnerabilities, secrets, Dockerfile misconfigurations, licenses) and
prints a summary: counts by severity, findings by id and location (never a secret's value), and the
digests of the full redacted report and the CycloneDX SBOM in the evidence store. Findings do not
change the exit code (the policy gate decides: airlock policy check); a scanner failure exits 1.

  --json   print the summary as JSON (input for \`airlock policy check --scan\`)
  --sbom   also write the CycloneDX SBOM to <file>`;

const schema = z.object({
  json: z.boolean(),
  sbom: z.string().min(1).optional(),
  positionals: z.tuple([z.string().regex(/@sha256:[0-9a-f]{64}$/, 'must be an image pinned by digest (repo@sha256:...)')], {
    error: 'expects exactly one image@digest',
  }),
});

function render(s: ScanSummary, evidenceDir: string): string {
  const c = s.vulnerabilities.counts;
  const out = [
    `${s.image}${s.cached ? ' (from the scan cache)' : ''}`,
    `vulnerabilities: ${c.CRITICAL} critical, ${c.HIGH} high, ${c.MEDIUM} medium, ${c.LOW} low, ${c.UNKNOWN} unknown (DB: ${s.dbMode})`,
  ];
  if (s.vulnerabilities.findings.length)
    out.push(table(['id', 'severity', 'package', 'installed', 'fixed'], s.vulnerabilities.findings.slice(0, 30).map((f) => [f.id, f.severity, f.pkg, f.installed, f.fixed ?? ''])));
  out.push(`secrets: ${s.secrets.length}`);
  for (const x of s.secrets) out.push(`  ${x.severity} ${x.ruleId} in ${x.target}:${x.line}`);
  out.push(`misconfigurations: ${s.misconfigurations.length}`);
  for (const m of s.misconfigurations) out.push(`  ${m.severity} ${m.id} ${m.title}`);
  out.push(`user: ${s.imageUser ? `${describeUser(s.imageUser)}${s.imageUser.unresolved ? `: uid unknown (${s.imageUser.unresolved})` : ''}` : 'not recorded'}`);
  out.push(`licenses: ${[...new Set(s.licenses.map((l) => l.name))].sort().join(', ') || 'none'}`);
  out.push(`report: ${evidencePath(evidenceDir, s.reportDigest)}`, `sbom:   ${evidencePath(evidenceDir, s.sbomDigest)}`);
  return out.join('\n');
}

export const scanCommand: Command = {
  name: 'scan',
  summary: 'scan an image@digest with Trivy (vulnerabilities, secrets, misconfigurations, licenses, SBOM)',
  usage,
  async run(argv) {
    const args = parseCommandArgs('scan', argv, { sbom: { type: 'string' }, ...jsonFlag }, schema);
    const config = loadConfig();
    const summary = await scanImage(
      { config, trivy: trivyBinary(config), log: lineLogger(progress, config.logLevel) },
      { image: args.positionals[0] },
      { heartbeat: (d) => progress(`  ${String(d.phase)}${d.elapsedMs ? ` ${Math.round(Number(d.elapsedMs) / 1000)}s` : ''}`) },
    );
    if (args.sbom) {
      const sbom = await readEvidence(config.dirs.evidence, summary.sbomDigest);
      await writeFile(args.sbom, sbom).catch((err: NodeJS.ErrnoException) => {
        throw new ExitError(EXIT.failure, `airlock scan: cannot write the SBOM to ${args.sbom} (${err.code ?? err.message})`);
      });
    }
    if (args.json) printJson(summary);
    else process.stdout.write(`${render(summary, config.dirs.evidence)}\n`);
  },
};
