// `airlock metrics` and the dashboard's metrics: read (compute.ts), reduce one history (record.ts), print (render.ts).
export { collectMetrics, commitTimeLookup, computeMetrics, type CollectOptions, type MetricsFilter, type MetricsReport, type PipelineRecord } from './compute';
export { recordFromHistory } from './record';
export { humanMs, renderMetrics } from './render';
