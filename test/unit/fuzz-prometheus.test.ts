import fc from 'fast-check';
import { MetricsUnavailableError } from '../../activities/errors';
import { decide, measure, type CheckEvidence } from '../../activities/monitor/verdict';
import { createPrometheusClient, type Reading } from '../../activities/monitor/prometheus';
import { canaryAnalysisSchema } from '../../model/manifest';

// What Prometheus answers decides whether a release is promoted: whatever it answers (empty, NaN, +Inf,
// huge, the wrong shape, not JSON), the client gives a finite number, null (no data) or a
// MetricsUnavailableError, and no reading that is not a real measurement ever passes a check.

const answers: unknown[] = [];
let fetchSpy: jest.SpyInstance;
beforeAll(() => {
  fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async () => {
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return new Response(typeof next === 'string' ? next : JSON.stringify(next));
  });
});
afterAll(() => fetchSpy.mockRestore());

const sampleValue = fc.oneof(
  fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', 'Infinity', '', ' ', '1e400', '-1e400', '0x10', '1_000', 'null', '0', '1', '0.5'),
  fc.double().map(String),
  fc.string({ maxLength: 8 }),
);
const vectorAnswer = fc.record({
  status: fc.constant('success'),
  data: fc.record({
    resultType: fc.constantFrom('vector', 'scalar', 'matrix'),
    result: fc.array(fc.record({ metric: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }), value: fc.tuple(fc.double(), sampleValue) }), { maxLength: 3 }),
  }),
});
const anyAnswer = fc.oneof(
  vectorAnswer,
  fc.record({ status: fc.constant('error'), error: fc.string(), errorType: fc.constant('bad_data') }),
  fc.jsonValue({ maxDepth: 4 }),
  fc.string({ maxLength: 40 }),
  fc.constant(new TypeError('fetch failed')),
  fc.constant({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1']] }] } }),
);

describe('fuzz: Prometheus answers', () => {
  const client = createPrometheusClient('http://127.0.0.1:9');

  it('any answer is a finite number, null or MetricsUnavailableError: never a crash, never NaN or Infinity', async () => {
    await fc.assert(
      fc.asyncProperty(anyAnswer, async (answer) => {
        answers.length = 0;
        answers.push(answer);
        try {
          const v = await client.scalar('up');
          expect(v === null || Number.isFinite(v)).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(MetricsUnavailableError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('no data, NaN, ±Inf and impossible values never pass a check; a failing check limit always fails the verdict', () => {
    const settings = canaryAnalysisSchema.parse({ checks: 3, failureLimit: 1 });
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -0, -1, 0, 2, 50, 1000));
    const latency = fc.oneof(fc.constant(null), num);
    const counts = fc.option(fc.record({ total: num, failures: num, clientErrors: num }), { nil: null });
    const auth = fc.record({ events: num, n: num });
    const reading = fc.oneof(fc.record({ value: num }), fc.constant({ value: null, problem: 'NaN' }));
    fc.assert(
      fc.property(counts, counts, latency, latency, auth, fc.option(auth, { nil: null }), reading, fc.constantFrom(0, 10, 100), (candidate, stable, p95, avg, ca, sa, custom, step) => {
        const evidence: CheckEvidence = {
          check: 1,
          step,
          at: '2026-01-01T00:00:00.000Z',
          candidate,
          stable: { counts: stable },
          latency: { routerP95: p95, samples: 100, routerAverage: avg, app: null, stableP95: null },
          auth: { candidate: ca, stable: sa },
          custom: [{ check: { name: 'c', query: 'q', max: 1, failOnNoData: true }, query: 'q', reading: custom as Reading }],
          queries: { responses: 'r', stableResponses: 's', latency: 'l' },
          loadOn: true,
        };
        const ms = measure(evidence, settings);
        const sane = candidate && [candidate.total, candidate.failures, candidate.clientErrors].every((x) => Number.isFinite(x) && x >= 0) && candidate.failures + candidate.clientErrors <= candidate.total;
        for (const m of ms) {
          if (m.value !== null) expect(Number.isFinite(m.value)).toBe(true);
          if (m.pValue !== undefined) expect(m.pValue >= 0 && m.pValue <= 1).toBe(true);
          if (m.status === 'pass' && ['requests', 'success-rate'].includes(m.metric)) expect(sane && candidate!.total >= settings.minRequests).toBe(true);
          if (m.status === 'pass' && m.metric.startsWith('latency')) expect(m.value! >= 0 && m.value! <= settings.maxLatencyP95Ms).toBe(true);
        }
        const verdict = decide(step, [ms], settings);
        if (ms.some((m) => !m.passed)) expect(verdict.verdict).toBe('fail');
        // JSON-safe: the verdict goes into workflow history
        expect(JSON.parse(JSON.stringify(verdict))).toEqual(verdict);
      }),
      {
        numRuns: 500,
        // found by this property: counts of 4.5e15 made the exact test allocate past the typed-array limit
        examples: [[null, null, 0, 0, { events: 4497528051549390, n: 4502799791331372 }, { events: 0, n: 1e308 }, { value: NaN }, 0]] as never,
      },
    );
  });
});
