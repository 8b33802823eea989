import { edit, expectLevel, ServiceRepo, signalFor } from './change-helpers';
import { SERVICE_FILES } from './change-service';

// Medium risk (expedited, one approver): new features using existing patterns, database schema additions,
// API endpoint additions, third-party integration updates. And: unknown is not low.

let service: ServiceRepo;
beforeAll(() => {
  service = new ServiceRepo();
});
afterAll(() => service.remove());

test('a new REST endpoint in an existing router is medium', async () => {
  const { risk, analysis } = await service.change({
    'src/routes/orders.ts': edit(
      'src/routes/orders.ts',
      "ordersRouter.post('/',",
      `ordersRouter.get('/:id/items', async (req, res) => {
  res.json(await listOrderItems(res.locals.userId, req.params.id));
});

ordersRouter.post('/',`,
    ).replace('import { createOrder, getOrder, listOrders }', 'import { createOrder, getOrder, listOrderItems, listOrders }'),
    'src/services/orders.ts': `${SERVICE_FILES['src/services/orders.ts']}
export async function listOrderItems(userId: string, orderId: string) {
  return db.query('SELECT i.sku, i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id = $1 AND o.id = $2', [userId, orderId]);
}
`,
  });
  expectLevel(risk, 'medium');
  const api = signalFor(risk, 'api', 'src/routes/orders.ts');
  expect(api.reason).toContain('route GET /:id/items added');
  const code = signalFor(risk, 'code', 'src/services/orders.ts');
  expect(code.reason).toContain('function listOrderItems added');
  const routes = analysis.files.find((f) => f.path === 'src/routes/orders.ts')!;
  expect(routes.symbolMethod).toBe('typescript');
  expect(routes.symbols).toContainEqual({ name: 'GET /:id/items', kind: 'route', change: 'added' });
});

test('an added nullable column migration is medium', async () => {
  const { risk } = await service.change({
    'migrations/002_add_gift_message.sql': '-- Optional gift message shown on the packing slip.\nALTER TABLE orders ADD COLUMN gift_message TEXT NULL;\n',
  });
  expectLevel(risk, 'medium');
  const data = signalFor(risk, 'data', 'migrations/002_add_gift_message.sql');
  expect(data.reason).toContain('ALTER TABLE orders ADD COLUMN gift_message');
  expect(risk.signals.find((s) => s.kind === 'data-destructive')).toBeUndefined();
});

test('a migration whose rollback drops the column is still an addition (medium)', async () => {
  const { risk, analysis } = await service.change({
    'migrations/20240601_add_loyalty_points.ts': `import type { Knex } from 'knex';

export async function up(knex: Knex) {
  await knex.schema.alterTable('orders', (table) => {
    table.integer('loyalty_points').nullable();
  });
}

export async function down(knex: Knex) {
  await knex.schema.alterTable('orders', (table) => {
    table.dropColumn('loyalty_points');
  });
}
`,
  });
  expectLevel(risk, 'medium');
  signalFor(risk, 'data', 'migrations/20240601_add_loyalty_points.ts');
  expect(risk.signals.find((s) => s.kind === 'data-destructive')).toBeUndefined();
  const details = analysis.files[0]!.findings.map((f) => f.detail);
  expect(details).toContainEqual(expect.stringMatching(/rollback path.*in down: table\.dropColumn\('loyalty_points'\)/));
});

test('an SDK version bump is medium', async () => {
  const pkg = JSON.parse(SERVICE_FILES['package.json']!);
  pkg.dependencies['@aws-sdk/client-s3'] = '3.450.0';
  const lock = JSON.parse(SERVICE_FILES['package-lock.json']!);
  lock.packages['node_modules/@aws-sdk/client-s3'].version = '3.450.0';
  lock.packages['node_modules/@aws-sdk/types'].version = '3.449.0';
  const { risk } = await service.change({
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'package-lock.json': `${JSON.stringify(lock, null, 2)}\n`,
  });
  expectLevel(risk, 'medium');
  const deps = signalFor(risk, 'dependencies', 'package.json');
  expect(deps.reason).toContain('@aws-sdk/client-s3 3.400.0 -> 3.450.0 (upgrade)');
  expect(deps.files).toContain('package-lock.json');
});

test('a new feature using existing patterns is medium', async () => {
  const { risk } = await service.change({
    'src/services/orders.ts': `${SERVICE_FILES['src/services/orders.ts']}
export async function orderSummary(userId: string, id: string) {
  const order = await getOrder(userId, id);
  if (!order) return undefined;
  return { id: order.id, status: order.status, total: formatCents(order.total_cents) };
}
`.replace("import { db } from '../db';", "import { db } from '../db';\nimport { formatCents } from './format';"),
  });
  expectLevel(risk, 'medium');
  const code = signalFor(risk, 'code', 'src/services/orders.ts');
  expect(code.reason).toContain('function orderSummary added');
});

test('a new system package in the Dockerfile is medium', async () => {
  const { risk } = await service.change({
    Dockerfile: edit('Dockerfile', 'WORKDIR /app\n', 'WORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends imagemagick && rm -rf /var/lib/apt/lists/*\n'),
  });
  expectLevel(risk, 'medium');
  signalFor(risk, 'infra', 'Dockerfile');
  expect(signalFor(risk, 'dependencies', 'Dockerfile').reason).toContain('installs packages');
});

test('a file no rule classifies is at least medium (unknown is not low)', async () => {
  const blob = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256));
  const { risk, analysis } = await service.change({ 'vendor/geo/regions.dat': blob });
  expect(analysis.files[0]).toMatchObject({ path: 'vendor/geo/regions.dat', binary: true, status: 'added' });
  expectLevel(risk, 'medium');
  signalFor(risk, 'unknown', 'vendor/geo/regions.dat');
});

test('unknown stays at least medium even when the policy weighs it 0', async () => {
  const { risk } = await service.change(
    { 'Vagrantfile': 'Vagrant.configure("2") do |config|\n  config.vm.box = "debian/bookworm64"\nend\n' },
    { policy: (await import('../../model/change')).riskPolicySchema.parse({ weights: { unknown: 0 } }) },
  );
  expectLevel(risk, 'medium');
  expect(risk.score).toBe(25);
  expect(risk.stats.formula).toContain('unknown is at least medium');
});
