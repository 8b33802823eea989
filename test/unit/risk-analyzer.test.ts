import { analyzeFile } from '../../activities/change/analyze-file';
import { keyPaths } from '../../activities/change/key-paths';
import { parseBatch } from '../../activities/shared/git';
import { parsePatch, unquote, type FilePatch } from '../../activities/change/patch';
import { parseRawNumstat, type RawEntry } from '../../activities/change/raw-diff';
import { compareDeclarations, tsDeclarations } from '../../activities/change/symbols-ts';
import { topicsIn, wordsOf } from '../../activities/change/vocabulary';
import type { FindingKind } from '../../model/change';

// The pure parts of the change analyzer: git output parsers, symbol extraction, vocabulary, detectors.

const OLD = '1'.repeat(40);
const NEW = '2'.repeat(40);

describe('git output', () => {
  test('raw + numstat records, with a rename, a binary file and a deletion', () => {
    const out = [
      `:100644 100644 ${OLD} ${NEW} M`, 'src/a.ts',
      `:100644 100644 ${OLD} ${OLD} R087`, 'old name.ts', 'new name.ts',
      `:100644 100644 ${OLD} ${NEW} M`, 'logo.png',
      `:100644 000000 ${OLD} ${'0'.repeat(40)} D`, 'gone.md',
      '3\t1\tsrc/a.ts', '2\t2\t', 'old name.ts', 'new name.ts', '-\t-\tlogo.png', '0\t4\tgone.md', '',
    ].join('\0');
    expect(parseRawNumstat(out).map((e) => [e.status, e.path, e.previousPath, e.similarity, e.additions, e.deletions, e.binary])).toEqual([
      ['modified', 'src/a.ts', undefined, undefined, 3, 1, false],
      ['renamed', 'new name.ts', 'old name.ts', 87, 2, 2, false],
      ['modified', 'logo.png', undefined, undefined, 0, 0, true],
      ['deleted', 'gone.md', undefined, undefined, 0, 4, false],
    ]);
  });

  test('a -U0 patch: line numbers per side, function context, quoted names, type changes merged', () => {
    const patch = [
      'diff --git a/src/a.ts b/src/a.ts',
      'index 1111111..2222222 100644',
      '--- a/src/a.ts',
      '+++ b/src/a.ts',
      '@@ -2 +2 @@ export function f() {',
      '-  return 1;',
      '+  return 2;',
      '@@ -10,0 +11,2 @@ export function g() {',
      '+  log();',
      '+  --- not a header',
      'diff --git "a/we\\"ird\\303\\251.txt" "b/we\\"ird\\303\\251.txt"',
      '--- "a/we\\"ird\\303\\251.txt"',
      '+++ "b/we\\"ird\\303\\251.txt"',
      '@@ -1 +1 @@',
      '-x',
      '\\ No newline at end of file',
      '+y',
      'diff --git a/link b/link',
      'deleted file mode 100644',
      '--- a/link',
      '+++ /dev/null',
      '@@ -1 +0,0 @@',
      '-content',
      'diff --git a/link b/link',
      'new file mode 120000',
      '--- /dev/null',
      '+++ b/link',
      '@@ -0,0 +1 @@',
      '+target',
      '',
    ].join('\n');
    const files = parsePatch(patch);
    expect([...files.keys()]).toEqual(['src/a.ts', 'we"irdé.txt', 'link']);
    const a = files.get('src/a.ts')!;
    expect(a.hunks).toEqual([
      { oldStart: 2, newStart: 2, context: 'export function f() {', removed: [{ line: 2, text: '  return 1;' }], added: [{ line: 2, text: '  return 2;' }] },
      { oldStart: 10, newStart: 11, context: 'export function g() {', removed: [], added: [{ line: 11, text: '  log();' }, { line: 12, text: '  --- not a header' }] },
    ]);
    expect(files.get('link')!.hunks.map((h) => [h.removed.length, h.added.length])).toEqual([[1, 0], [0, 1]]);
  });

  test('unquote undoes C quoting and the trailing tab of names with spaces', () => {
    expect(unquote('"a\\tb\\\\c\\303\\251"')).toBe('a\tb\\cé');
    expect(unquote('a/with space.txt\t')).toBe('a/with space.txt');
  });

  test('cat-file --batch output, with missing objects', () => {
    const out = Buffer.concat([Buffer.from(`${OLD} blob 5\nhello\n${NEW} missing\n${'3'.repeat(40)} blob 0\n\n`)]);
    const objects = parseBatch(out);
    expect(objects.get(OLD)?.toString()).toBe('hello');
    expect(objects.has(NEW)).toBe(false);
    expect(objects.get('3'.repeat(40))?.length).toBe(0);
  });
});

describe('TypeScript symbols', () => {
  test('express routes (plain and chained), CommonJS exports, wrapped handlers', () => {
    const decls = tsDeclarations(
      `const express = require('express');
const app = express();
app.get('/health', (req, res) => res.send('ok'));
app.route('/orders/:id').put(update).delete(remove);
router.use('/admin', adminRouter);
module.exports.handler = withAuth(async (event) => event);
exports.VERSION = '3';
export default app;
`,
      'server.js',
    );
    expect(decls.map((d) => d.key)).toEqual([
      'function handler',
      'export VERSION',
      'export default',
      'route GET /health',
      'route DELETE /orders/:id',
      'route PUT /orders/:id',
      'route USE /admin',
    ]);
  });

  test('overloads and repeated routes get distinct keys; only real changes count', () => {
    const before = tsDeclarations("app.get('/a', h1);\napp.get('/a', h2);\nfunction f(x: number) {\n  return x; // one\n}\n", 'a.ts');
    const after = tsDeclarations("app.get('/a', h1);\napp.get('/a', h3);\nfunction f(x: number) {\n  return x; // two\n}\n", 'a.ts');
    expect(compareDeclarations(before, after)).toEqual([{ name: 'GET /a', kind: 'route', change: 'changed' }]);
  });
});

describe('vocabulary', () => {
  test('identifiers are split into words', () => {
    expect([...wordsOf('verifyToken(req.headers.Authorization); createCipheriv XMLHttpRequest api_key')]).toEqual(
      expect.arrayContaining(['verifytoken', 'verify', 'token', 'authorization', 'createcipheriv', 'cipheriv', 'xml', 'http', 'request', 'api', 'key']),
    );
  });

  test('strong words count anywhere, weak words only where they are removed, keys, or names', () => {
    expect(topicsIn("app.use(csrf({ cookie: false }));", false).map((h) => h.topic)).toEqual(['security-control']);
    expect(topicsIn('router.get("/me", requireAuth, getProfile);', false)).toEqual([]);
    expect(topicsIn('router.get("/me", requireAuth, getProfile);', true)).toEqual([{ topic: 'auth', word: 'auth' }]);
    expect(topicsIn('const author = post.author;', true)).toEqual([]);
    expect(topicsIn('await stripe.paymentIntents.create({ amount })', false).map((h) => h.topic)).toEqual(['payments']);
    expect(topicsIn('const key = process.env.STRIPE_SECRET_KEY;', false)).toEqual([
      { topic: 'payments', word: 'stripe' },
      { topic: 'secrets', word: 'process.env.STRIPE_SECRET' },
    ]);
    expect(topicsIn('- uses: actions/checkout@v4', false)).toEqual([]);
  });
});

test('config key paths: YAML by indentation, JSON, TOML sections, .env keys', () => {
  expect(keyPaths('server:\n  csrf:\n    enabled: true\n  ports:\n  - "8080:80"\nlog: info\n', 'yaml')).toEqual([
    ['server'], ['server', 'csrf'], ['server', 'csrf', 'enabled'], ['server', 'ports'], ['server', 'ports'], ['log'], ['log'],
  ]);
  expect(keyPaths('{\n  "cors": {\n    "origin": "*"\n  }\n}\n', 'json')[2]).toEqual(['cors', 'origin']);
  expect(keyPaths('[session]\nttl = "8h"\n', 'toml')[1]).toEqual(['session', 'ttl']);
  expect(keyPaths('export SESSION_SECRET=abc\n', 'env')[0]).toEqual(['SESSION_SECRET']);
});

describe('detectors (analyzeFile on a patch and both versions)', () => {
  const entry = (path: string, status: RawEntry['status'] = 'modified'): RawEntry => ({
    path, status, oldMode: '100644', newMode: '100644',
    oldId: status === 'added' ? '0'.repeat(40) : OLD, newId: status === 'deleted' ? '0'.repeat(40) : NEW,
    additions: 1, deletions: 1, binary: false,
  });
  const patchOf = (removed: string[], added: string[], start = 1): FilePatch => ({
    hunks: [{ oldStart: start, newStart: start, context: '', removed: removed.map((text, i) => ({ line: start + i, text })), added: added.map((text, i) => ({ line: start + i, text })) }],
  });
  const found = (path: string, removed: string[], added: string[], texts: { oldText?: string; newText?: string } = {}, status?: RawEntry['status']) =>
    analyzeFile({ entry: entry(path, status), patch: patchOf(removed, added), oldText: texts.oldText ?? removed.join('\n'), newText: texts.newText ?? added.join('\n') });
  const kindsOf = (r: ReturnType<typeof found>): FindingKind[] => [...new Set(r.file.findings.map((f) => f.kind))];

  test('destructive SQL is data-destructive, except in the rollback half of a migration', () => {
    expect(kindsOf(found('migrations/3.sql', [], ['ALTER TABLE users DROP COLUMN nickname;'], {}, 'added'))).toEqual(['data-destructive']);
    expect(kindsOf(found('migrations/3.down.sql', [], ['ALTER TABLE users DROP COLUMN nickname;'], {}, 'added'))).toEqual(['data']);
    const sql = '-- migrate:up\nALTER TABLE users ADD COLUMN nickname TEXT;\n-- migrate:down\nALTER TABLE users DROP COLUMN nickname;\n';
    const marked = analyzeFile({ entry: entry('db/migrations/4.sql', 'added'), patch: patchOf([], sql.trimEnd().split('\n')), newText: sql });
    expect(kindsOf(marked)).toEqual(['data']);
    expect(kindsOf(found('src/jobs/purge.ts', [], ['await db.query("DELETE FROM sessions");']))).toEqual(expect.arrayContaining(['data-destructive']));
    expect(kindsOf(found('src/jobs/purge.ts', [], ['await db.query("DELETE FROM carts WHERE updated_at < $1", [cutoff]);']))).toEqual(['data']);
  });

  test('permissions: container user, privileged mode, capabilities, sudo, RBAC', () => {
    const docker = found('Dockerfile', ['USER app'], ['USER root']);
    expect(docker.file.findings.map((f) => f.detail)).toEqual(['container user: removed line 1: USER app', 'container user (runs as root): added line 1: USER root']);
    expect(kindsOf(found('docker-compose.yml', [], ['    privileged: true']))).toContain('permissions');
    expect(kindsOf(found('k8s/role.yaml', [], ['kind: ClusterRoleBinding']))).toContain('permissions');
    expect(kindsOf(found('scripts/setup.sh', [], ['sudo setcap cap_net_bind_service=+ep /usr/bin/node']))).toEqual(['permissions']);
  });

  test('network: new clients only when the file had none, ports, outside hosts', () => {
    const fresh = found('src/geo.ts', ['export const x = 1;'], ["import axios from 'axios';"], { oldText: 'export const x = 1;\n' });
    expect(fresh.file.findings.map((f) => f.detail)).toContain("new axios client: added line 1: import axios from 'axios';");
    const existing = found('src/geo.ts', [], ["const r = await axios.get('/v2/regions');"], { oldText: "import axios from 'axios';\n" });
    expect(existing.file.findings).toEqual([]);
    const port = analyzeFile({ entry: entry('config/app.yaml'), patch: patchOf(['  port: 3000'], ['  port: 3001'], 2), oldText: 'server:\n  port: 3000\n', newText: 'server:\n  port: 3001\n' });
    expect(port.file.findings.map((f) => f.detail)).toEqual(['listening port or exposure: removed line 2: port: 3000', 'listening port or exposure: added line 2: port: 3001']);
    const hosts = found('src/x.ts', [], [
      "fetch('https://hooks.slack.com/services/T000/B000')",
      "fetch('http://localhost:3000/health')",
      "fetch('https://api.example.com/x')",
      "const schema = 'http://json-schema.org/draft-07/schema#';",
      'fetch(`https://${host}/x`)',
      "// see https://docs.github.com/en/rest",
    ]);
    expect(hosts.newHosts.map((h) => [h.host, h.webhook])).toEqual([['hooks.slack.com', true]]);
  });

  test('dependencies: npm manifest and lockfile diffs with direction; security-sensitive package names', () => {
    const before = JSON.stringify({ dependencies: { express: '^4.19.2', lodash: '4.17.21' }, devDependencies: { jest: '29.7.0' } });
    const after = JSON.stringify({ dependencies: { express: '^5.0.0', jsonwebtoken: '9.0.2' }, devDependencies: { jest: '29.6.0' } });
    const pkg = found('package.json', [], [], { oldText: before, newText: after });
    expect(pkg.file.findings).toEqual([
      { kind: 'dependencies', detail: '4 dependencies changed: express ^4.19.2 -> ^5.0.0 (major upgrade), jsonwebtoken 9.0.2 added, jest 29.7.0 -> 29.6.0 (downgrade), lodash 4.17.21 removed' },
      { kind: 'auth', detail: 'dependency jsonwebtoken changed in package.json ("jsonwebtoken")' },
    ]);
    const lock = (v: string) => JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/a': { version: v }, 'node_modules/a/node_modules/b': { version: '1.0.0' } } });
    expect(found('package-lock.json', [], [], { oldText: lock('1.0.0'), newText: lock('1.1.0') }).file.findings).toEqual([
      { kind: 'dependencies', detail: '1 locked package(s) changed: a 1.0.0 -> 1.1.0 (upgrade)' },
    ]);
    expect(found('package.json', [], [], { oldText: '{', newText: '{}' }).file.findings[0]?.detail).toContain('could not be parsed');
    expect(found('Dockerfile', ['FROM node:18-slim'], ['FROM node:20-slim']).file.findings).toContainEqual({ kind: 'dependencies', detail: 'base image node:18-slim -> node:20-slim (line 1)', line: 1 });
  });

  test('comment-only and moved lines raise nothing', () => {
    expect(found('src/a.ts', ['// TODO check the session token'], ['// TODO: check the session token properly']).file.findings).toEqual([]);
    const moved = found('src/a.ts', ['  app.use(csrf());'], ['    app.use(csrf());']);
    expect(moved.file.findings).toEqual([]);
  });

  test('prose, styles and binaries are not read', () => {
    const md = found('docs/security.md', [], ['Rotate the api_key and disable csrf in dev: https://evil.example.net']);
    expect(md.file).toMatchObject({ language: 'markdown', findings: [], symbolMethod: 'none' });
    expect(md.newHosts).toEqual([]);
  });
});
