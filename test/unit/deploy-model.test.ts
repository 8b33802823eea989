import { clearStaleLocks, isStale } from '../../infra/deploy/stack-locks';
import { readCheckpointOutputs } from '../../infra/deploy/checkpoint';
import { diagnostics } from '../../infra/deploy/stack';
import { canonicalJson, changedKeys } from '../../infra/providers/inputs';
import { deployCandidateInputSchema, releaseContainerNames, releaseIdForImage, serviceSettingsOf } from '../../model/deploy';
import { manifestSchema, rolloutSchema } from '../../model/manifest';
import { InvalidInputError } from '../../model/parse';
import { rolloutSteps } from '../../model/rollout';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('release naming', () => {
  it('derives the release id of an image from its digest, never the clock', () => {
    expect(releaseIdForImage('demo', 'prod', `127.0.0.1:5000/demo@${digest}`)).toBe('demo-prod-abababababab');
    expect(() => releaseIdForImage('demo', 'prod', '127.0.0.1:5000/demo:latest')).toThrow(/pinned by digest/);
  });

  it('names containers (and router servers) <release>-<n>', () => {
    expect(releaseContainerNames('demo-prod-abc', 2)).toEqual(['demo-prod-abc-1', 'demo-prod-abc-2']);
  });

  it('walks canary steps, and one analysis at 0 for blue-green, then the switch', () => {
    const weights = (r: unknown) => rolloutSteps(rolloutSchema.parse(r)).map((s) => `${s.weight}${s.analyze ? '+analysis' : ''}`);
    expect(weights({ strategy: 'canary', steps: [5, 100] })).toEqual(['5+analysis', '100+analysis']);
    expect(weights({ strategy: 'blue-green' })).toEqual(['0+analysis', '100']);
  });
});

describe('deployCandidate input', () => {
  const base = { releaseId: 'demo-prod-abc', service: 'demo', environment: 'prod', image: `127.0.0.1:5000/demo@${digest}` };

  it('needs the manifest from a commit or a parsed target', () => {
    expect(deployCandidateInputSchema.safeParse(base).success).toBe(false);
    expect(deployCandidateInputSchema.safeParse({ ...base, repo: '/r', commit: 'abc', serviceDir: 'svc' }).success).toBe(true);
  });

  it('refuses images not pinned by digest', () => {
    const r = deployCandidateInputSchema.safeParse({ ...base, image: '127.0.0.1:5000/demo:1', repo: '/r', commit: 'c', serviceDir: '.' });
    expect(r.success).toBe(false);
  });

  it('refuses an unknown rollout strategy and steps that do not end at 100', () => {
    const target = (rollout: unknown) => ({
      service: 'demo',
      environment: 'prod',
      run: { port: 8080, health: '/healthz', replicas: 1 },
      settings: { routerPort: 18080, rollout },
    });
    const unknown = deployCandidateInputSchema.safeParse({ ...base, target: target({ strategy: 'yolo' }) });
    expect(unknown.success).toBe(false);
    const steps = deployCandidateInputSchema.safeParse({ ...base, target: target({ strategy: 'canary', steps: [10, 50] }) });
    expect(steps.success).toBe(false);
    expect(JSON.stringify(steps.error?.issues)).toContain('the last step weight must be 100');
  });
});

describe('service settings read once from airlock.yaml', () => {
  const manifest = manifestSchema.parse({
    service: 'demo',
    build: { context: 'app' },
    run: { port: 8080, health: '/healthz' },
    environments: { staging: { routerPort: 18080 }, prod: { routerPort: 18081, replicas: 2, rollout: { strategy: 'blue-green' } } },
  });
  const source = 'svc/airlock.yaml at 0123456789ab';

  it('gives buildImage the build settings and deployCandidate the environment target', () => {
    const settings = serviceSettingsOf(manifest, 'demo', 'prod', source);
    expect(settings.build).toEqual({ context: 'app', dockerfile: 'Dockerfile' });
    expect(settings.target).toMatchObject({ service: 'demo', environment: 'prod', run: { port: 8080, replicas: 1 }, settings: { routerPort: 18081, replicas: 2 } });
    const base = { releaseId: 'demo-prod-abc', service: 'demo', environment: 'prod', image: `127.0.0.1:5000/demo@${digest}` };
    expect(deployCandidateInputSchema.safeParse({ ...base, target: settings.target }).success).toBe(true);
  });

  it('refuses a manifest of another service or without the environment, naming the file', () => {
    const other = () => serviceSettingsOf(manifest, 'shop', 'prod', source);
    expect(other).toThrow(InvalidInputError);
    expect(other).toThrow(`${source} is invalid:\n  service: is demo, but the workflow input names shop: refused`);
    expect(() => serviceSettingsOf(manifest, 'demo', 'moon', source)).toThrow('environments: has no moon (it has: staging, prod)');
  });
});

describe('stale stack locks', () => {
  it('are locks of this host whose process is gone', () => {
    expect(isStale({ pid: 1, hostname: 'h' }, 'h', () => false)).toBe(true);
    expect(isStale({ pid: 1, hostname: 'h' }, 'h', () => true)).toBe(false);
    expect(isStale({ pid: 1, hostname: 'other' }, 'h', () => false)).toBe(false);
  });

  it('are removed from the file backend, live ones kept', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-locks-'));
    const locks = join(dir, '.pulumi', 'locks', 'organization', 'airlock', 'demo-prod');
    mkdirSync(locks, { recursive: true });
    writeFileSync(join(locks, 'dead.json'), JSON.stringify({ pid: 2 ** 22 + 7, hostname: hostname() }));
    writeFileSync(join(locks, 'live.json'), JSON.stringify({ pid: process.pid, hostname: hostname() }));
    // fileblob's metadata sidecars: the dead lock's goes with it, an orphan one (an older cleanup's) too
    for (const f of ['dead.json.attrs', 'live.json.attrs', 'gone.json.attrs']) writeFileSync(join(locks, f), '{}');
    expect(clearStaleLocks(dir, 'airlock', 'demo-prod')).toEqual([join(locks, 'dead.json')]);
    expect(readdirSync(locks).sort()).toEqual(['live.json', 'live.json.attrs']);
  });
});

describe('checkpoint outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ckpt-'));
  const stacks = join(dir, '.pulumi', 'stacks', 'airlock');
  mkdirSync(stacks, { recursive: true });
  const ckpt = (outputs: unknown) => JSON.stringify({ version: 3, checkpoint: { stack: 'x', latest: { resources: [{ urn: 'u', type: 'pulumi:pulumi:Stack', outputs }] } } });

  it('reads the stack outputs, plain or gzipped', () => {
    writeFileSync(join(stacks, 'a.json'), ckpt({ spec: 1, state: 2 }));
    writeFileSync(join(stacks, 'b.json.gz'), gzipSync(ckpt({ spec: 3 })));
    expect(readCheckpointOutputs(dir, 'airlock', 'a')).toEqual({ spec: 1, state: 2 });
    expect(readCheckpointOutputs(dir, 'airlock', 'b')).toEqual({ spec: 3 });
  });

  it('says null for a missing stack and undefined (ask the CLI) for a file it cannot read', () => {
    expect(readCheckpointOutputs(dir, 'airlock', 'none')).toBeNull();
    writeFileSync(join(stacks, 'half.json'), '{"checkpoint": {');
    expect(readCheckpointOutputs(dir, 'airlock', 'half')).toBeUndefined();
  });
});

describe('provider inputs', () => {
  it('compare by canonical JSON, ignoring key order and the serialized provider', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }], __provider: 'code' })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(changedKeys({ a: { x: 1, y: 2 }, b: 1 }, { a: { y: 2, x: 1 }, b: 2 }, ['a', 'b'])).toEqual(['b']);
  });
});

describe('pulumi diagnostics', () => {
  it('keeps the error lines of a failed update', () => {
    const out = [
      'Updating (demo-prod):',
      '  error: container demo-prod-abc-1 is unhealthy: curl: (7) Failed to connect',
      '  error: update failed',
      'Resources:',
    ].join('\n');
    expect(diagnostics(out)).toBe('container demo-prod-abc-1 is unhealthy: curl: (7) Failed to connect');
    expect(diagnostics('a\nb\nc')).toBe('a | b | c');
  });
});
