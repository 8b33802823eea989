import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseManifest } from '../../activities/shared/manifest';
import { parsePolicy } from '../../activities/policy/load-policy';
import { manifestSchema } from '../../model/manifest';
import { InvalidInputError } from '../../model/parse';

// airlock.yaml and airlock.policy.yaml are files in the change's repository: their author is the author
// of the change. Whatever they hold, parsing gives a value or an InvalidInputError whose lines are
// `path: message`, never another exception; a valid manifest round-trips through YAML.

const LINE = /^(\(root\)|line \d+, column \d+|[^\s:][^:]*): \S/;

function expectInvalidInputOrValue(parse: () => unknown, source: string): void {
  try {
    parse();
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    expect(err.source).toBe(source);
    expect(err.lines.length).toBeGreaterThan(0);
    for (const line of err.lines) expect(line).toMatch(LINE);
  }
}

/** YAML-ish text: random tokens of YAML syntax, so the parser sees near-misses, not only noise. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom('service: ', 'run:', '  port: ', 'environments:', '  prod:', '    routerPort: ', '- ', ': ', '{', '}', '[', ']', '&a ', '*a', '!!binary ', '---', '\n', '  ', '"', "'", '#', '<<: *a', '? ', '|', '>'),
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

/** Any JSON value written as YAML: valid syntax, arbitrary shape. */
const yamlOfValue = fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v));

const slug = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
const validManifest = fc.record({
  service: slug,
  build: fc.record({ dockerfile: fc.constantFrom('Dockerfile', 'docker/Dockerfile.prod'), context: fc.constantFrom('.', 'app') }, { requiredKeys: [] }),
  run: fc.record(
    {
      port: fc.integer({ min: 1, max: 65535 }),
      health: fc.stringMatching(/^\/[a-z/]{0,10}$/),
      replicas: fc.integer({ min: 1, max: 10 }),
      metrics: fc.constant('/metrics'),
      resources: fc.record({ memoryMb: fc.integer({ min: 16, max: 65536 }), cpus: fc.double({ min: 0.01, max: 64, noNaN: true }), pids: fc.integer({ min: 8, max: 65536 }) }, { requiredKeys: [] }),
    },
    { requiredKeys: ['port', 'health'] },
  ),
  environments: fc.dictionary(slug, fc.record({ routerPort: fc.integer({ min: 1024, max: 65535 }), replicas: fc.integer({ min: 1, max: 10 }) }, { requiredKeys: ['routerPort'] }), {
    minKeys: 1,
    maxKeys: 3,
  }),
});

describe('fuzz: airlock.yaml', () => {
  it('any text is a manifest or an InvalidInputError of `path: message` lines', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish, yamlOfValue), (text) => expectInvalidInputOrValue(() => parseManifest(text, 'airlock.yaml'), 'airlock.yaml')),
      { numRuns: 250 },
    );
  });

  it('a valid manifest round-trips through YAML to the same value', () => {
    fc.assert(
      fc.property(validManifest, (m) => {
        const parsed = parseManifest(stringify(m), 'airlock.yaml');
        expect(parseManifest(stringify(parsed), 'airlock.yaml')).toEqual(parsed);
        expect(parsed).toEqual(manifestSchema.parse(m));
      }),
      { numRuns: 60 },
    );
  });

  it('one field set to a wrong value is refused, naming that field', () => {
    const wrong = fc.constantFrom<[string[], unknown]>(
      [['service'], 'Not A Slug'],
      [['run', 'port'], 0],
      [['run', 'port'], 'eighty'],
      [['run', 'health'], 'healthz'],
      [['run', 'replicas'], 11],
      [['run', 'resources', 'memoryMb'], 1],
      [['run', 'resources', 'pids'], 1.5],
      [['build', 'context'], '../outside'],
      [['build', 'dockerfile'], '/etc/passwd'],
      [['policy'], '/abs/airlock.policy.yaml'],
      [['unknownKey'], 1],
    );
    fc.assert(
      fc.property(validManifest, wrong, (m, [path, value]) => {
        const doc = structuredClone(m) as Record<string, unknown>;
        let at = doc;
        for (const key of path.slice(0, -1)) at = (at[key] ??= {}) as Record<string, unknown>;
        at[path[path.length - 1]!] = value;
        let err: unknown;
        try {
          parseManifest(stringify(doc), 'airlock.yaml');
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(InvalidInputError);
        const prefix = path[0] === 'unknownKey' ? '(root)' : path.join('.');
        expect((err as InvalidInputError).lines.some((l) => l.startsWith(`${prefix}: `))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('fuzz: airlock.policy.yaml', () => {
  it('any bytes are a policy or an InvalidInputError of `path: message` lines', () => {
    const policyish = fc
      .array(
        fc.oneof(
          fc.constantFrom('version: 1\n', 'gates:\n', '  vulnerabilities:\n', '    maxSeverity: ', 'high', 'critical', 'approvals:\n', '  groups:\n', 'exceptions:\n', '- id: ', '  expires: ', '2026-01-01', 'freeze:\n', '  windows:\n', '- ', ': ', '  '),
          fc.string({ maxLength: 10 }),
        ),
        { maxLength: 40 },
      )
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), policyish, yamlOfValue, fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1'))), (text) =>
        expectInvalidInputOrValue(() => parsePolicy(Buffer.from(text, 'utf8'), 'airlock.policy.yaml'), 'airlock.policy.yaml'),
      ),
      { numRuns: 250 },
    );
  });

  it('the digest is of the bytes exactly: the same policy with another comment has another digest', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\n')), (comment) => {
        const a = parsePolicy(Buffer.from('gates: {}\n'), 'p');
        const b = parsePolicy(Buffer.from(`gates: {}\n# ${comment}x\n`), 'p');
        expect(b.policy).toEqual(a.policy);
        expect(b.digest).not.toBe(a.digest);
      }),
      { numRuns: 50 },
    );
  });
});
