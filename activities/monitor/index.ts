export { analyzeCanary } from './canary-analysis';
export { startLoad, type LoadStats } from './load';
export { createPrometheusClient, type PrometheusClient } from './prometheus';
export { fillTemplate, latencyQuery, requestRateQuery, responsesByCodeQuery, successRateQuery } from './promql';
export { checkStatus, decide, describeFailure, measure } from './verdict';
