import { enqueue, grantNext, isIdle, leaseEndsAtMs, release, renew, type LockQueue, type LockRequest } from '../../workflows/lock-queue';

const req = (n: string, runId = 'r1'): LockRequest => ({ pipelineId: `airlock/shop/prod/${n}`, runId, headCommit: n, leaseMs: 1000 });
const empty: LockQueue = { queue: [] };

test('the first request waits for a grant; a free lock grants in order', () => {
  const { next, supersede } = enqueue(empty, req('a'));
  expect(supersede).toEqual([]);
  const granted = grantNext(next, 42);
  expect(granted).toEqual({ holder: { ...req('a'), grantedAtMs: 42 }, queue: [] });
  expect(grantNext(granted, 43)).toBe(granted); // held: nothing changes
});

test('a newer request supersedes every older waiter and asks the holder to step aside', () => {
  let q: LockQueue = { holder: { ...req('a'), grantedAtMs: 1 }, queue: [] };
  let r = enqueue(q, req('b'));
  expect(r.supersede).toEqual([{ ...req('a'), grantedAtMs: 1 }]);
  expect(r.next.queue).toEqual([req('b')]);
  q = r.next;
  r = enqueue(q, req('c'));
  expect(r.supersede.map((s) => s.headCommit)).toEqual(['a', 'b']);
  expect(r.next).toEqual({ holder: q.holder, queue: [req('c')] });
});

test('requests are idempotent per run; a re-run of the same commit is a new request', () => {
  const q: LockQueue = { holder: { ...req('a'), grantedAtMs: 1 }, queue: [req('b')] };
  expect(enqueue(q, req('a'))).toEqual({ next: q, supersede: [] });
  expect(enqueue(q, req('b'))).toEqual({ next: q, supersede: [] });
  expect(enqueue(q, req('a', 'r2')).supersede.map((s) => s.runId)).toEqual(['r1', 'r1']);
});

test('release frees the holder or drops a waiter; unknown runs are ignored', () => {
  const q: LockQueue = { holder: { ...req('a'), grantedAtMs: 1 }, queue: [req('b')] };
  expect(release(q, req('a'))).toEqual({ holder: undefined, queue: [req('b')] });
  expect(release(q, req('b'))).toEqual({ holder: q.holder, queue: [] });
  expect(release(q, req('z'))).toEqual(q);
  expect(isIdle(release(release(q, req('a')), req('b')))).toBe(true);
});

test('the holder renews its lease with its secret; nobody else can', () => {
  const holder = { ...req('a'), secret: 's', grantedAtMs: 1 };
  const q: LockQueue = { holder, queue: [req('b')] };
  expect(leaseEndsAtMs(holder)).toBe(1001);
  const renewed = renew(q, { pipelineId: holder.pipelineId, runId: 'r1', secret: 's' }, 500);
  expect(renewed.holder).toEqual({ ...holder, renewedAtMs: 500 });
  expect(leaseEndsAtMs(renewed.holder!)).toBe(1500);
  expect(renewed.queue).toEqual(q.queue);
  // no secret, a wrong one, a waiter or another run of the same commit: nothing changes
  expect(renew(q, { pipelineId: holder.pipelineId, runId: 'r1' }, 500)).toBe(q);
  expect(renew(q, { pipelineId: holder.pipelineId, runId: 'r1', secret: 'x' }, 500)).toBe(q);
  expect(renew(q, req('b'), 500)).toBe(q);
  expect(renew(q, { pipelineId: holder.pipelineId, runId: 'r2', secret: 's' }, 500)).toBe(q);
  expect(renew({ queue: [] }, req('a'), 500)).toEqual({ queue: [] });
});
