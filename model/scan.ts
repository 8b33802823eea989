// Summary of a Trivy scan that goes into the workflow (full reports stay in the evidence store).
export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'UNKNOWN';

export interface VulnerabilityFinding {
  id: string; // CVE or GHSA id
  pkg: string;
  installed: string;
  fixed?: string;
  severity: Severity;
  target: string;
}

export interface ScanSummary {
  image: string; // image@digest scanned
  vulnerabilities: { counts: Record<Severity, number>; findings: VulnerabilityFinding[] };
  /** Rule ids and locations only: the secret value never leaves the scanner's report. */
  secrets: { ruleId: string; category: string; severity: Severity; target: string; line: number }[];
  misconfigurations: { id: string; severity: Severity; title: string; target: string }[];
  licenses: { name: string; pkg: string; severity: Severity }[];
  /** sha256 digests of the full JSON report and the CycloneDX SBOM in the evidence store. */
  reportDigest: string;
  sbomDigest: string;
  trivyVersion: string;
  dbMode: 'fixture' | 'online';
}
