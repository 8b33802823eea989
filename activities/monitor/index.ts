export { analyzeCanary } from './canary-analysis';
export { startLoad, type LoadStats } from './load';
export { createPrometheusClient, type PrometheusClient } from './prometheus';
export { latencyQuery, requestRateQuery, successRateQuery } from './promql';
export { decide, measure } from './verdict';
