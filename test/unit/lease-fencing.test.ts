import { checkLease, type LockHolderLookup } from '../../activities/deploy/lease';
import { resolveDeps } from '../../activities/deploy/deps';
import { promote, settleRelease } from '../../activities/deploy/promote';
import { restoreRelease } from '../../activities/deploy/restore';
import { rollback } from '../../activities/deploy/rollback';
import { shiftTraffic } from '../../activities/deploy/shift-traffic';
import { deployCandidate } from '../../activities/deploy/deploy-candidate';
import { LeaseLostError } from '../../activities/errors';
import type { StackDriver } from '../../infra/deploy/stack';
import { loadConfig } from '../../infra/config';

// Fencing (issue 19): an environment-changing activity acts only for the run the environment lock names.

const ref = { service: 'shop', environment: 'prod' };
const lease = { pipelineId: 'airlock/shop/prod/abc', runId: 'run-1' };

function lookup(holder: { pipelineId: string; runId: string } | undefined) {
  const asked: string[] = [];
  const fn: LockHolderLookup = async (service, environment) => {
    asked.push(`${service}/${environment}`);
    return holder;
  };
  return { fn, asked };
}

describe('checkLease', () => {
  it('passes while the lock names the run', async () => {
    const l = lookup(lease);
    await expect(checkLease({ lockHolder: l.fn }, ref, lease)).resolves.toBeUndefined();
    expect(l.asked).toEqual(['shop/prod']);
  });

  it('refuses when another run holds the lock, naming both', async () => {
    const l = lookup({ pipelineId: 'airlock/shop/prod/def', runId: 'run-9' });
    const err = await checkLease({ lockHolder: l.fn }, ref, lease).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((err as Error).message).toMatch(/lease of airlock\/shop\/prod\/abc \(run run-1\) ran out and airlock\/shop\/prod\/def \(run run-9\) holds it now/);
    expect((err as LeaseLostError).retryable).toBe(false);
  });

  it('refuses when nobody holds the lock, and a newer run of the same pipeline id', async () => {
    await expect(checkLease({ lockHolder: lookup(undefined).fn }, ref, lease)).rejects.toThrow(/nobody holds it now/);
    await expect(checkLease({ lockHolder: lookup({ ...lease, runId: 'run-2' }).fn }, ref, lease)).rejects.toThrow(LeaseLostError);
  });

  it('does not ask without a lease (runs from before patch lock-lease, direct calls)', async () => {
    const l = lookup(undefined);
    await checkLease({ lockHolder: l.fn }, ref, undefined);
    expect(l.asked).toEqual([]);
  });
});

describe('every environment-changing activity checks the lease before it touches the stack', () => {
  const touched: string[] = [];
  const driver = new Proxy({} as StackDriver, {
    get: (_t, name) => () => {
      touched.push(String(name));
      throw new Error(`the stack was touched: ${String(name)}`);
    },
  });
  const deps = resolveDeps({ config: loadConfig(), driver, lockHolder: lookup({ pipelineId: 'other', runId: 'r' }).fn, heartbeat: () => undefined });
  const target = { ...ref, releaseId: 'shop-abc' };
  const image = `127.0.0.1:5000/shop@sha256:${'a'.repeat(64)}`;
  const calls: [string, () => Promise<unknown>][] = [
    ['deployCandidate', () => deployCandidate(deps)({ ...target, image, repo: '/r', commit: 'c', serviceDir: '.', lease })],
    ['shiftTraffic', () => shiftTraffic(deps)({ ...target, weight: 0, lease })],
    ['promote', () => promote(deps)({ ...target, lease })],
    ['promote (settle later: the runtime-API path)', () => promote(deps)({ ...target, lease, settle: 'later' })],
    ['settleRelease', () => settleRelease(deps)({ ...target, lease })],
    ['rollback', () => rollback(deps)({ ...target, reason: 'analysis failed', lease })],
    ['restoreRelease', () => restoreRelease(deps)({ ...ref, lease })],
  ];
  it.each(calls)('%s', async (_name, call) => {
    await expect(call()).rejects.toThrow(LeaseLostError);
    expect(touched).toEqual([]);
  });
});
