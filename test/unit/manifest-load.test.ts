import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest, parseManifest } from '../../activities/shared';
import { InvalidInputError } from '../../model/parse';

const good = `
service: checkout
build:
  dockerfile: docker/Dockerfile
  context: .
run:
  port: 8080
  health: /healthz
  replicas: 2
environments:
  staging:
    routerPort: 18080
  production:
    routerPort: 18081
    rollout: { strategy: canary, steps: [5, 50, 100] }
    analysis: { minSuccessRate: 0.995 }
`;

function failure(text: string): InvalidInputError {
  try {
    parseManifest(text, 'svc/airlock.yaml');
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('airlock.yaml', () => {
  it('parses a manifest and fills defaults', () => {
    const m = parseManifest(good, 'svc/airlock.yaml');
    expect(m.service).toBe('checkout');
    expect(m.build).toEqual({ dockerfile: 'docker/Dockerfile', context: '.' });
    expect(m.run).toEqual({ port: 8080, health: '/healthz', replicas: 2 });
    expect(m.environments.staging!.rollout).toEqual({ strategy: 'canary', steps: [10, 50, 100] });
    expect(m.environments.production!.analysis.minSuccessRate).toBe(0.995);
    expect(m.environments.production!.analysis.checks).toBe(3);
  });

  it('rejects unknown keys and wrong types with path: message lines naming the file', () => {
    const err = failure(`
service: Checkout
build: { dockerfile: /etc/Dockerfile, contxt: . }
run: { port: "8080", health: healthz, replica: 2 }
environments:
  staging: { routerPort: 80, rollout: { strategy: canary, steps: [50, 10] } }
`);
    expect(err.message.split('\n')[0]).toBe('svc/airlock.yaml is invalid:');
    expect(err.lines).toEqual(
      expect.arrayContaining([
        'service: must be lowercase letters, digits and dashes (max 41)',
        'build.dockerfile: must be a relative path inside the service directory',
        expect.stringMatching(/^build: Unrecognized key: "contxt"/),
        expect.stringMatching(/^run\.port: Invalid input: expected number, received string/),
        'run.health: must be an HTTP path starting with /',
        expect.stringMatching(/^run: Unrecognized key: "replica"/),
        expect.stringMatching(/^environments\.staging\.routerPort: Too small/),
        'environments.staging.rollout.steps: step weights must increase',
      ]),
    );
  });

  it('reports missing required sections', () => {
    expect(failure('service: api\n').lines).toEqual(
      expect.arrayContaining([expect.stringMatching(/^build: /), expect.stringMatching(/^run: /), expect.stringMatching(/^environments: /)]),
    );
  });

  it('reports YAML syntax errors and duplicate keys with line and column', () => {
    expect(failure('service: api\nrun: [port: 1\n').lines[0]).toMatch(/^line \d+, column \d+: /);
    expect(failure('service: api\nservice: web\n').lines).toEqual([expect.stringMatching(/^line 2, column 1: Map keys must be unique/)]);
  });

  it('names the directory when the manifest is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-nomanifest-'));
    await expect(loadManifest(dir)).rejects.toThrow(`service directory ${dir} is invalid:\n  airlock.yaml: not found (every service directory needs one; see README "Service manifest")`);
    await expect(loadManifest(join(dir, 'does-not-exist'))).rejects.toThrow(/does-not-exist is invalid/);
    writeFileSync(join(dir, 'airlock.yaml'), good);
    await expect(loadManifest(dir)).resolves.toMatchObject({ service: 'checkout' });
  });
});

// found by test/unit/fuzz-manifest.test.ts: the yaml library throws a ReferenceError from toJS()
describe('YAML errors found while building the value', () => {
  it('an alias to an anchor that is not set is bad input, not a crash', () => {
    expect(() => parseManifest('<<: *a', 'airlock.yaml')).toThrow(InvalidInputError);
    expect(() => parseManifest('<<: *a', 'airlock.yaml')).toThrow(/\(root\): Unresolved alias/);
  });

  it('an alias bomb is bad input, not a crash or a hang', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`)].join('\n');
    expect(() => parseManifest(bomb, 'airlock.yaml')).toThrow(InvalidInputError);
  });
});
