import { edit, expectLevel, kinds, ServiceRepo, signalFor } from './change-helpers';
import { SERVICE_FILES } from './change-service';

// Low risk (automated): UI styling, content updates, configuration adjustments, documentation changes,
// internal tool improvements. Real commits on a real repository, scored with the built-in policy.

let service: ServiceRepo;
beforeAll(() => {
  service = new ServiceRepo();
});
afterAll(() => service.remove());

test('a CSS tweak is low', async () => {
  const { risk } = await service.change({
    'src/styles/app.css': edit('src/styles/app.css', 'color: #222;', 'color: #1f2933;\n  line-height: 1.5;').replace('padding: 8px 12px;', 'padding: 10px 16px;'),
  });
  expectLevel(risk, 'low');
  signalFor(risk, 'styles', 'src/styles/app.css');
  expect(kinds(risk)).toEqual(['styles']);
});

test('a README edit is low (inside the build context: prose, no embedded code)', async () => {
  const { risk, analysis } = await service.change({
    'README.md': `${SERVICE_FILES['README.md']}\n## Troubleshooting\n\nIf \`npm run dev\` fails with ECONNREFUSED, start PostgreSQL first:\n\n    docker compose up -d db\n\nThe session token and the payment webhooks are described in docs/architecture.md.\n`,
  });
  expect(analysis.files[0]?.buildContext).toBe('inside');
  expectLevel(risk, 'low');
  expect(risk.score).toBe(0);
  signalFor(risk, 'docs', 'README.md');
});

test('a configuration value change is low', async () => {
  const { risk } = await service.change({
    'config/app.yaml': edit('config/app.yaml', 'pageSize: 20', 'pageSize: 25').replace('level: info', 'level: debug'),
  });
  expectLevel(risk, 'low');
  signalFor(risk, 'config', 'config/app.yaml');
  expect(kinds(risk)).toEqual(['config']);
});

test('a content update (translations) is low', async () => {
  const { risk } = await service.change({
    'locales/en.json': edit('locales/en.json', 'You have no orders yet.', 'No orders yet: browse the catalogue to get started.'),
    'locales/de.json': `${JSON.stringify({ 'orders.empty': 'Noch keine Bestellungen.', 'orders.title': 'Ihre Bestellungen' }, null, 2)}\n`,
  });
  expectLevel(risk, 'low');
  signalFor(risk, 'content', 'locales/en.json');
  signalFor(risk, 'content', 'locales/de.json');
});

test('an internal tool improvement is low', async () => {
  const { risk } = await service.change({
    'scripts/seed-orders.ts': edit(
      'scripts/seed-orders.ts',
      "async function main() {\n  for (let i = 0; i < 10; i++)",
      "async function main() {\n  const count = Number(process.argv[2] ?? 10);\n  for (let i = 0; i < count; i++)",
    ),
  });
  expectLevel(risk, 'low');
  signalFor(risk, 'tooling', 'scripts/seed-orders.ts');
});

test('a test-only change is low (tests outside the build context)', async () => {
  const { risk, analysis } = await service.change({
    'test/orders.test.ts': `${SERVICE_FILES['test/orders.test.ts']}\ntest('formats zero', () => {\n  expect(formatCents(0)).toBe('0.00');\n});\n`,
  });
  expectLevel(risk, 'low');
  signalFor(risk, 'tests', 'test/orders.test.ts');
  expect(analysis.files[0]?.buildContext).toBe('outside');
});

test('a test file inside the build context is application code (it ships in the image)', async () => {
  const { risk, analysis } = await service.change({
    'src/__tests__/format.test.ts': "import { formatCents } from '../services/format';\n\ntest('formats zero', () => {\n  expect(formatCents(0)).toBe('0.00');\n});\n",
  });
  expect(analysis.files[0]?.buildContext).toBe('inside');
  expectLevel(risk, 'medium');
  expect(signalFor(risk, 'code', 'src/__tests__/format.test.ts').reason).toContain('under a tests path but inside a build context: judged as code');
});

test('a 3000-line docs-only change is low, whatever it mentions (docs outside the build context)', async () => {
  const guide = Array.from({ length: 3000 }, (_, i) =>
    i % 50 === 0
      ? `## Section ${i / 50}: sessions, tokens, OAuth, csrf and payment webhooks to https://hooks.partner-payments.net/${i}`
      : `Line ${i}: how the order API handles retries, pagination and the session cookie (see src/auth/session.ts).`,
  ).join('\n');
  const { risk, analysis } = await service.change({
    'docs/operations-guide.md': `${guide}\n`,
    'docs/architecture.md': `${SERVICE_FILES['docs/architecture.md']}\nSee operations-guide.md for the runbook.\n`,
  });
  expect(analysis.stats.additions).toBeGreaterThanOrEqual(3000);
  expectLevel(risk, 'low');
  expect(risk.score).toBe(0);
  expect(kinds(risk)).toEqual(['docs']);
  signalFor(risk, 'docs', 'docs/operations-guide.md');
  expect(risk.stats.weightedLines).toBe(0);
});

test('a rename-only change is low', async () => {
  const { risk, analysis } = await service.change({}, {
    renames: [
      ['src/services/notify.ts', 'src/notifications/order-confirmation.ts'],
      ['docs/architecture.md', 'docs/design/architecture.md'],
    ],
  });
  expect(analysis.files.map((f) => [f.status, f.previousPath, f.path])).toEqual([
    ['renamed', 'docs/architecture.md', 'docs/design/architecture.md'],
    ['renamed', 'src/services/notify.ts', 'src/notifications/order-confirmation.ts'],
  ]);
  expectLevel(risk, 'low');
  const rename = signalFor(risk, 'rename', 'src/notifications/order-confirmation.ts');
  expect(rename.reason).toContain('from src/services/notify.ts');
  expect(kinds(risk)).toEqual(['rename']);
  expect(risk.score).toBe(0);
}, 30_000);

test('low changes together stay low', async () => {
  const { risk } = await service.change({
    'src/styles/app.css': edit('src/styles/app.css', 'color: #222;', 'color: #111;'),
    'README.md': `${SERVICE_FILES['README.md']}\nSee CHANGELOG.md.\n`,
    'config/app.yaml': edit('config/app.yaml', 'maxItems: 50', 'maxItems: 60'),
    'locales/en.json': edit('locales/en.json', 'Your orders', 'My orders'),
  });
  expectLevel(risk, 'low');
});
