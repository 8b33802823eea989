import fc from 'fast-check';
import { ScannerError } from '../../activities/errors';
import { policyVerdict } from '../../activities/policy/evaluate';
import { summarize } from '../../activities/scan/summarize';
import { SUMMARY_BUDGET } from '../../activities/scan/summary-bound';
import { parseTrivyReport, redactReport } from '../../activities/scan/trivy-report';
import { policySchema } from '../../model/policy';
import { scanSummarySchema, SEVERITIES } from '../../model/scan';

// Trivy's JSON is the scanner's word on an image built from the change: fuzzed for crashes, for the
// "ScannerError, never a clean report" rule, and for the size bound of the summary that goes into history.

const DIGEST = `sha256:${'a'.repeat(64)}`;
const META = { image: `127.0.0.1:5000/svc@${DIGEST}`, reportDigest: DIGEST, sbomDigest: DIGEST, trivyVersion: '0.74.0', dbMode: 'fixture' as const };

const severity = fc.constantFrom(...SEVERITIES);
const text = (max: number) => fc.string({ unit: 'grapheme', maxLength: max });
const id = (max: number) => fc.string({ minLength: 1, maxLength: max });

const vulnerability = fc.record(
  {
    VulnerabilityID: id(40),
    VendorIDs: fc.option(fc.array(text(30), { maxLength: 4 }), { nil: null }),
    PkgName: text(30),
    InstalledVersion: text(20),
    FixedVersion: text(20),
    Severity: severity,
    Title: text(80),
  },
  { requiredKeys: ['VulnerabilityID', 'PkgName', 'InstalledVersion', 'Severity'] },
);
const secret = fc.record({ RuleID: id(30), Category: text(20), Severity: severity, StartLine: fc.integer(), Match: text(40) });
const misconfiguration = fc.record({ ID: id(10), Title: text(40), Severity: severity, Status: fc.constantFrom('FAIL', 'PASS') });
const license = fc.record({ Name: id(30), PkgName: text(30), Severity: severity }, { requiredKeys: ['Name', 'Severity'] });
const result = fc.record(
  {
    Target: text(60),
    Class: fc.constantFrom('os-pkgs', 'lang-pkgs', 'secret', 'config', 'license'),
    Vulnerabilities: fc.option(fc.array(vulnerability, { maxLength: 30 }), { nil: null }),
    Secrets: fc.array(secret, { maxLength: 5 }),
    Misconfigurations: fc.array(misconfiguration, { maxLength: 5 }),
    Licenses: fc.array(license, { maxLength: 10 }),
  },
  { requiredKeys: ['Target', 'Class'] },
);
const report = fc.record({
  SchemaVersion: fc.constant(2),
  ArtifactName: id(40),
  Metadata: fc.record({}, { requiredKeys: [] }),
  Results: fc.option(fc.array(result, { maxLength: 6 }), { nil: null }),
});

function expectScannerErrorOrReport(input: string): void {
  try {
    parseTrivyReport(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ScannerError);
    expect((err as ScannerError).details.malformed).toBe(true);
  }
}

describe('fuzz: Trivy JSON', () => {
  it('any text is a report or a ScannerError (malformed), never another crash', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), expectScannerErrorOrReport),
      { numRuns: 300 },
    );
  });

  it('a report with a field of the wrong type is a ScannerError naming the path', () => {
    fc.assert(
      fc.property(report, fc.constantFrom('SchemaVersion', 'ArtifactName', 'Metadata', 'Results'), fc.jsonValue(), (r, key, bad) => {
        const ok = { ...r };
        const broken = { ...ok, [key]: bad };
        const parsed = (() => {
          try {
            parseTrivyReport(JSON.stringify(broken));
            return undefined;
          } catch (err) {
            return err as ScannerError;
          }
        })();
        if (parsed) {
          expect(parsed).toBeInstanceOf(ScannerError);
          // `path: message` lines from model/parse.ts issueLines
          for (const line of parsed.details.lines as string[]) expect(line).toMatch(/^[^:]+: /);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a well-formed report parses, and its summary is valid, counted right and within the size bound', () => {
    fc.assert(
      fc.property(report, (r) => {
        const parsed = parseTrivyReport(JSON.stringify(r));
        const summary = scanSummarySchema.parse(summarize(parsed, META));
        const v = summary.vulnerabilities;
        const total = Object.values(v.counts).reduce((a, b) => a + b, 0);
        expect(v.findings.length + (v.omitted ?? 0)).toBe(total);
        expect(JSON.stringify(summary).length).toBeLessThanOrEqual(SUMMARY_BUDGET);
        // the redacted copy keeps no secret match
        expect(JSON.stringify(redactReport(r))).not.toMatch(/"Match"/);
      }),
      { numRuns: 150 },
    );
  });

  it('a huge image never yields a summary near the 2 MB payload limit; what is left out is counted and blocks', () => {
    const long = (n: number, c: string) => c.repeat(n);
    const big = {
      SchemaVersion: 2,
      ArtifactName: 'huge',
      Metadata: {},
      Results: Array.from({ length: 10 }, (_, t) => ({
        Target: `/usr/lib/${long(300, 't')}/${t}`,
        Class: 'lang-pkgs',
        Vulnerabilities: Array.from({ length: 300 }, (_, i) => ({
          VulnerabilityID: `CVE-2026-${t}-${i}`,
          VendorIDs: Array.from({ length: 20 }, (_, k) => `GHSA-${k}-${long(100, 'g')}`),
          PkgName: `${long(500, 'p')}${i}`,
          InstalledVersion: '1.0',
          FixedVersion: long(500, 'f'),
          Severity: SEVERITIES[i % 5],
          Title: long(1000, 'x'),
        })),
        Secrets: Array.from({ length: 100 }, (_, i) => ({ RuleID: `rule-${i}`, Category: long(1000, 'c'), Severity: 'HIGH', StartLine: i, Title: long(1000, 's') })),
        Misconfigurations: Array.from({ length: 50 }, (_, i) => ({ ID: `DS${i}`, Title: long(1000, 'm'), Severity: 'LOW', Status: 'FAIL' })),
        Licenses: Array.from({ length: 200 }, (_, i) => ({ Name: `LIC-${t}-${i}`, PkgName: long(1000, 'l'), Severity: 'LOW' })),
      })),
    };
    const json = JSON.stringify(big);
    expect(json.length).toBeGreaterThan(10_000_000);
    const summary = scanSummarySchema.parse(summarize(parseTrivyReport(json), META));
    expect(JSON.stringify(summary).length).toBeLessThanOrEqual(SUMMARY_BUDGET);
    expect(summary.vulnerabilities.counts.CRITICAL).toBe(10 * 60);
    expect(summary.vulnerabilities.findings[0]?.severity).toBe('CRITICAL');
    expect(summary.omitted?.secrets).toBeGreaterThan(0);
    // secrets, misconfigurations and licenses the summary left out still block under the default policy
    const verdict = policyVerdict({ policy: policySchema.parse({ gates: { licenses: { deny: ['GPL-3.0'] } } }), digest: DIGEST, source: 'p' }, summary, undefined, new Date());
    expect(verdict.allowed).toBe(false);
    const rules = verdict.violations.filter((x) => x.blocking && /not listed in the summary/.test(x.detail)).map((x) => x.rule);
    expect(rules).toEqual(expect.arrayContaining(['vulnerabilities.max-severity', 'secrets', 'dockerfile.max-severity', 'licenses.deny']));
  }, 30_000);
});
