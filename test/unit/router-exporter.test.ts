import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseRouterCounts, readRouterCounts } from '../../activities/monitor/router-exporter';

// The step's baseline read straight from the router's exporter (HAProxy /metrics): the same series
// promql.ts selects (haproxy_server_http_responses_total, app and preview backends, servers <release>-<n>).

const exposition = (lines: string[]) =>
  [
    '# HELP haproxy_server_http_responses_total Total number of HTTP responses with status 100-199 returned by this object since the worker process started',
    '# TYPE haproxy_server_http_responses_total counter',
    ...lines,
    'haproxy_server_http_responses_total_extra{proxy="app",server="shop-abc-1",code="2xx"} 999',
    'haproxy_server_status{proxy="app",server="shop-abc-1",state="UP"} 1',
    '',
  ].join('\n');

describe('router exporter counts', () => {
  it('sums each release over its servers in the app and preview backends, by class', () => {
    const text = exposition([
      'haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="2xx"} 100',
      'haproxy_server_http_responses_total{proxy="app",server="shop-abc-2",code="2xx"} 50',
      'haproxy_server_http_responses_total{proxy="preview",server="shop-abc-1",code="4xx"} 7',
      'haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="5xx"} 3',
      'haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="other"} 1',
      'haproxy_server_http_responses_total{proxy="app",server="shop-old-1",code="2xx"} 500',
      'haproxy_server_http_responses_total{proxy="app",server="shop-old-1",code="4xx"} 2 1733300000000',
      // not the release's: another backend, a server whose name only starts like it
      'haproxy_server_http_responses_total{proxy="stats",server="shop-abc-1",code="2xx"} 1000',
      'haproxy_server_http_responses_total{proxy="app",server="shop-abc-1-x",code="2xx"} 1000',
      'haproxy_server_http_responses_total{proxy="app",server="shop-abcd-1",code="2xx"} 1000',
    ]);
    const counts = parseRouterCounts(text, ['shop-abc', 'shop-old']);
    expect(counts.get('shop-abc')).toEqual({ total: 161, failures: 4, clientErrors: 7 });
    expect(counts.get('shop-old')).toEqual({ total: 502, failures: 0, clientErrors: 2 });
  });

  it('a release without servers in the exporter is null', () => {
    expect(parseRouterCounts(exposition(['haproxy_server_http_responses_total{proxy="app",server="shop-old-1",code="2xx"} 5']), ['shop-abc']).get('shop-abc')).toBeNull();
  });

  it('reads escaped label values and refuses what is not the exposition format', () => {
    const escaped = exposition(['haproxy_server_http_responses_total{code="2xx",proxy="app",note="a \\"quoted\\" \\\\ value",server="shop-abc-1"} 4']);
    expect(parseRouterCounts(escaped, ['shop-abc']).get('shop-abc')).toEqual({ total: 4, failures: 0, clientErrors: 0 });
    expect(() => parseRouterCounts(exposition(['haproxy_server_http_responses_total{proxy="app",server=shop-abc-1} 4']), ['shop-abc'])).toThrow(/line 3: labels not in the exposition format/);
    expect(() => parseRouterCounts(exposition(['haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="2xx"} NaN']), ['shop-abc'])).toThrow(/value NaN, not a count/);
    expect(() => parseRouterCounts(exposition(['haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="2xx"} -1']), ['shop-abc'])).toThrow(/not a count/);
  });

  it('reads over HTTP, bounded in time', async () => {
    let hang = false;
    const server: Server = createServer((_req, res) => {
      if (hang) return; // never answers
      res.end(exposition(['haproxy_server_http_responses_total{proxy="app",server="shop-abc-1",code="2xx"} 9']));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      expect((await readRouterCounts(url, ['shop-abc'])).get('shop-abc')).toEqual({ total: 9, failures: 0, clientErrors: 0 });
      hang = true;
      const t0 = Date.now();
      await expect(readRouterCounts(url, ['shop-abc'], 300)).rejects.toThrow();
      expect(Date.now() - t0).toBeLessThan(2000);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
