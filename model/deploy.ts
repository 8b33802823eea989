// Deploy and analysis results on a deploy target (issue "Immutable deploy, canary analysis and rollback").

export interface DeployedRelease {
  releaseId: string;
  image: string; // image@digest
  containers: string[]; // container names
}

/** One analysis measurement: what was queried, what came back, what it was compared with. */
export interface Measurement {
  metric: string; // e.g. success-rate, latency-p95-ms
  step: number; // traffic weight of the candidate when measured
  value: number | null; // null = no data
  threshold: number;
  stableValue?: number | null;
  passed: boolean;
  at: string; // ISO time the measurement was taken (activity clock)
  query: string; // the PromQL
}

export interface AnalysisVerdict {
  step: number;
  verdict: 'pass' | 'fail';
  measurements: Measurement[];
  /** When failed: the metric that failed and its measured value, e.g. "success-rate 0.71 < 0.99". */
  reason?: string;
}
