/**
 * The base commit of the change-analysis tests: a small but realistic Express/TypeScript shop service with
 * its docs, styles, content, config, migrations, Dockerfile (.dockerignore: docs and tests stay out of the
 * build context), CI and airlock files. Each test commits one
 * realistic change on top of it and scores base..head.
 */
export const SERVICE_FILES: Record<string, string> = {
  'README.md': `# shop-api

The order and payment API of the shop.

## Running locally

    npm ci
    npm run dev

The service listens on port 3000 and needs a PostgreSQL database (see config/app.yaml).
`,
  'docs/architecture.md': `# Architecture

Requests go through the Express app (src/app.ts), the routers in src/routes, then the services.
Payments are charged through the payment provider's API from src/payments.
`,
  'package.json': JSON.stringify(
    {
      name: 'shop-api',
      version: '1.4.0',
      private: true,
      scripts: { build: 'tsc', dev: 'ts-node src/server.ts', test: 'jest' },
      dependencies: {
        '@aws-sdk/client-s3': '3.400.0',
        express: '4.19.2',
        pg: '8.11.3',
        csurf: '1.11.0',
        helmet: '7.1.0',
      },
      devDependencies: { typescript: '5.4.5', jest: '29.7.0' },
    },
    null,
    2,
  ) + '\n',
  'package-lock.json': JSON.stringify(
    {
      name: 'shop-api',
      version: '1.4.0',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'shop-api', version: '1.4.0' },
        'node_modules/@aws-sdk/client-s3': { version: '3.400.0' },
        'node_modules/@aws-sdk/types': { version: '3.398.0' },
        'node_modules/express': { version: '4.19.2' },
        'node_modules/pg': { version: '8.11.3' },
        'node_modules/csurf': { version: '1.11.0' },
        'node_modules/helmet': { version: '7.1.0' },
      },
    },
    null,
    2,
  ) + '\n',
  'airlock.yaml': `service: shop-api
build:
  context: .
run:
  port: 3000
environments:
  production:
    routerPort: 18080
`,
  'airlock.policy.yaml': `version: 1
gates:
  vulnerabilities:
    maxSeverity: high
risk:
  thresholds:
    medium: 25
    high: 60
`,
  '.github/workflows/ci.yml': `name: ci
on: [push]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm test
      - run: airlock trigger --repo . --env production --wait
`,
  '.dockerignore': `node_modules
docs
test
`,
  Dockerfile: `FROM node:20-bookworm-slim
WORKDIR /app
COPY package*.json ./
RUN npm ci --omit=dev
COPY dist ./dist
USER node
EXPOSE 3000
CMD ["node", "dist/server.js"]
`,
  'config/app.yaml': `server:
  port: 3000
  requestTimeoutMs: 5000
orders:
  pageSize: 20
  maxItems: 50
logging:
  level: info
`,
  'locales/en.json': JSON.stringify({ 'orders.empty': 'You have no orders yet.', 'orders.title': 'Your orders' }, null, 2) + '\n',
  'src/styles/app.css': `body {
  font-family: system-ui, sans-serif;
  color: #222;
}

.order-list .order {
  padding: 8px 12px;
  border-bottom: 1px solid #ddd;
}
`,
  'src/server.ts': `import { createApp } from './app';

const port = Number(process.env.PORT ?? 3000);
createApp().listen(port, () => console.log(\`shop-api listening on \${port}\`));
`,
  'src/app.ts': `import express from 'express';
import csrf from 'csurf';
import helmet from 'helmet';
import { ordersRouter } from './routes/orders';
import { requireUser } from './middleware/require-user';

export function createApp() {
  const app = express();
  app.use(express.json());
  app.use(helmet());
  app.use(csrf({ cookie: false }));
  app.use('/orders', requireUser, ordersRouter);
  return app;
}
`,
  'src/routes/orders.ts': `import { Router } from 'express';
import { createOrder, getOrder, listOrders } from '../services/orders';

export const ordersRouter = Router();

ordersRouter.get('/', async (req, res) => {
  res.json(await listOrders(res.locals.userId, Number(req.query.page ?? 1)));
});

ordersRouter.get('/:id', async (req, res) => {
  const order = await getOrder(res.locals.userId, req.params.id);
  if (!order) return res.status(404).json({ error: 'not found' });
  res.json(order);
});

ordersRouter.post('/', async (req, res) => {
  res.status(201).json(await createOrder(res.locals.userId, req.body.items));
});
`,
  'src/services/orders.ts': `import { db } from '../db';

export interface OrderItem {
  sku: string;
  quantity: number;
}

const PAGE_SIZE = 20;

export async function listOrders(userId: string, page: number) {
  const offset = (page - 1) * PAGE_SIZE;
  return db.query('SELECT id, status, total_cents FROM orders WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2 OFFSET $3', [userId, PAGE_SIZE, offset]);
}

export async function getOrder(userId: string, id: string) {
  const rows = await db.query('SELECT * FROM orders WHERE user_id = $1 AND id = $2', [userId, id]);
  return rows[0];
}

export async function createOrder(userId: string, items: OrderItem[]) {
  const total = items.reduce((n, i) => n + i.quantity * 100, 0);
  const rows = await db.query('INSERT INTO orders (user_id, status, total_cents) VALUES ($1, $2, $3) RETURNING *', [userId, 'new', total]);
  return rows[0];
}
`,
  'src/services/format.ts': `export function formatCents(cents: number): string {
  return (cents / 100).toFixed(2);
}
`,
  'src/db.ts': `import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export const db = {
  async query(sql: string, params: unknown[] = []) {
    const result = await pool.query(sql, params);
    return result.rows;
  },
};
`,
  'src/middleware/require-user.ts': `import type { NextFunction, Request, Response } from 'express';
import { verifyToken } from '../auth/session';

export function requireUser(req: Request, res: Response, next: NextFunction) {
  const header = req.headers.authorization ?? '';
  const claims = verifyToken(header.replace(/^Bearer /, ''));
  if (!claims) return res.status(401).json({ error: 'unauthorized' });
  res.locals.userId = claims.sub;
  next();
}
`,
  'src/auth/session.ts': `import { createHmac, timingSafeEqual } from 'node:crypto';

const SECRET = process.env.SESSION_SECRET ?? '';

export interface Claims {
  sub: string;
  exp: number;
}

export function verifyToken(token: string): Claims | undefined {
  const [body, mac] = token.split('.');
  if (!body || !mac) return undefined;
  const expected = createHmac('sha256', SECRET).update(body).digest('base64url');
  if (expected.length !== mac.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(mac))) return undefined;
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Claims;
  if (claims.exp < Date.now() / 1000) return undefined;
  return claims;
}
`,
  'src/payments/charge.ts': `import { db } from '../db';

export async function chargeOrder(orderId: string, totalCents: number) {
  const response = await fetch('https://api.stripe.com/v1/payment_intents', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ amount: String(totalCents), currency: 'eur' }),
  });
  const intent = (await response.json()) as { id: string; status: string };
  await db.query('UPDATE orders SET payment_intent = $1 WHERE id = $2', [intent.id, orderId]);
  return intent;
}
`,
  'src/lib/encryption.ts': `import { createCipheriv, randomBytes } from 'node:crypto';

const KEY = Buffer.from(process.env.DATA_KEY ?? '', 'hex');

export function encryptField(plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64')).join('.');
}
`,
  'src/services/notify.ts': `import { formatCents } from './format';

export function orderConfirmationText(orderId: string, totalCents: number): string {
  return \`Order \${orderId} confirmed: \${formatCents(totalCents)} EUR\`;
}
`,
  'migrations/001_create_orders.sql': `CREATE TABLE orders (
  id BIGSERIAL PRIMARY KEY,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  payment_intent TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
`,
  'scripts/seed-orders.ts': `// Fills a local database with sample orders for development.
import { createOrder } from '../src/services/orders';

async function main() {
  for (let i = 0; i < 10; i++) await createOrder('dev-user', [{ sku: 'SKU-1', quantity: 1 + i }]);
}

void main();
`,
  'test/orders.test.ts': `import { formatCents } from '../src/services/format';

test('formats cents', () => {
  expect(formatCents(1234)).toBe('12.34');
});
`,
};
