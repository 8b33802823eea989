// A minimal Prometheus text-format registry: one request counter and one latency histogram.
'use strict';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5];

function createMetrics(version) {
  const requests = new Map(); // `${path}|${code}` -> count
  const flagRequests = new Map(); // `${flag}|${variant}|${code}` -> count
  const bucketCounts = BUCKETS.map(() => 0);
  let count = 0;
  let sum = 0;

  function observe(path, code, seconds) {
    const key = `${path}|${code}`;
    requests.set(key, (requests.get(key) || 0) + 1);
    if (path !== '/') return; // latency of the app's own work, not of probes and scrapes
    count += 1;
    sum += seconds;
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) bucketCounts[i] += 1;
    });
  }

  /** One answer served with `variant` of `flag` (flag keys and variants are from flagd's file: slugs). */
  function observeFlag(flag, variant, code) {
    const key = `${flag}|${variant}|${code}`;
    flagRequests.set(key, (flagRequests.get(key) || 0) + 1);
  }

  function render() {
    const lines = [
      '# HELP demo_build_info Version of the running build.',
      '# TYPE demo_build_info gauge',
      `demo_build_info{version="${version}"} 1`,
      '# HELP http_requests_total HTTP requests answered, by path and status code.',
      '# TYPE http_requests_total counter',
    ];
    for (const [key, n] of requests) {
      const [path, code] = key.split('|');
      lines.push(`http_requests_total{path="${path}",code="${code}"} ${n}`);
    }
    lines.push('# HELP flag_requests_total HTTP requests answered, by feature flag, the variant served and status code.', '# TYPE flag_requests_total counter');
    for (const [key, n] of flagRequests) {
      const [flag, variant, code] = key.split('|');
      lines.push(`flag_requests_total{flag="${flag}",variant="${variant}",code="${code}"} ${n}`);
    }
    lines.push('# HELP http_request_duration_seconds Latency of requests to /.', '# TYPE http_request_duration_seconds histogram');
    BUCKETS.forEach((le, i) => lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${bucketCounts[i]}`));
    lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${count}`);
    lines.push(`http_request_duration_seconds_sum ${sum}`, `http_request_duration_seconds_count ${count}`);
    return `${lines.join('\n')}\n`;
  }

  return { observe, observeFlag, render };
}

module.exports = { createMetrics };
