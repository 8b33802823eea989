import { riskPolicySchema, SIGNAL_KINDS } from '../../model/change';
import { edit, expectLevel, ServiceRepo, signalFor } from './change-helpers';
import { SERVICE_FILES } from './change-service';

// High risk (full review): new authentication mechanisms, payment processing changes, data encryption
// modifications, security control changes, external system integrations; and airlock's own files.

let service: ServiceRepo;
beforeAll(() => {
  service = new ServiceRepo();
});
afterAll(() => service.remove());

test('a new OAuth login flow is high', async () => {
  const pkg = JSON.parse(SERVICE_FILES['package.json']!);
  pkg.dependencies['passport'] = '0.7.0';
  pkg.dependencies['passport-google-oauth20'] = '2.0.0';
  const { risk } = await service.change({
    'package.json': `${JSON.stringify(pkg, null, 2)}\n`,
    'src/auth/google.ts': `import { Router } from 'express';
import passport from 'passport';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';

passport.use(
  new GoogleStrategy(
    {
      clientID: process.env.GOOGLE_CLIENT_ID ?? '',
      clientSecret: process.env.GOOGLE_CLIENT_SECRET ?? '',
      callbackURL: 'https://shop.example.com/auth/google/callback',
      tokenURL: 'https://oauth2.googleapis.com/token',
    },
    (_accessToken, _refreshToken, profile, done) => done(null, { id: profile.id }),
  ),
);

export const googleLogin = Router();
googleLogin.get('/auth/google', passport.authenticate('google', { scope: ['email'] }));
googleLogin.get('/auth/google/callback', passport.authenticate('google', { session: false }), (req, res) => {
  res.redirect('/');
});
`,
    'src/app.ts': edit('src/app.ts', "  app.use('/orders',", "  app.use(googleLogin);\n  app.use('/orders',").replace(
      "import { ordersRouter } from './routes/orders';",
      "import { googleLogin } from './auth/google';\nimport { ordersRouter } from './routes/orders';",
    ),
  });
  expectLevel(risk, 'high');
  const auth = signalFor(risk, 'auth', 'src/auth/google.ts');
  expect(auth.reason).toContain('path matches the auth rules');
  expect(auth.files).toContain('package.json'); // passport, passport-google-oauth20 added
  expect(signalFor(risk, 'external-integration', 'src/auth/google.ts').reason).toContain('oauth2.googleapis.com');
  expect(signalFor(risk, 'api', 'src/auth/google.ts').reason).toContain('route GET /auth/google/callback added');
});

test('a change to the payment charge path is high', async () => {
  const { risk } = await service.change({
    'src/payments/charge.ts': edit('src/payments/charge.ts', 'amount: String(totalCents)', 'amount: String(Math.round(totalCents * 1.02))'),
  });
  expectLevel(risk, 'high');
  const payments = signalFor(risk, 'payments', 'src/payments/charge.ts');
  expect(payments.reason).toContain('chargeOrder');
});

test('a switch of cipher is high', async () => {
  const { risk } = await service.change({
    'src/lib/encryption.ts': edit('src/lib/encryption.ts', "createCipheriv('aes-256-gcm', KEY, iv)", "createCipheriv('aes-256-cbc', KEY, iv)")
      .replace('randomBytes(12)', 'randomBytes(16)')
      .replace('[iv, cipher.getAuthTag(), data]', '[iv, data]'),
  });
  expectLevel(risk, 'high');
  const crypto = signalFor(risk, 'crypto', 'src/lib/encryption.ts');
  expect(crypto.reason).toContain("createCipheriv('aes-256-cbc', KEY, iv)");
  expect(crypto.reason).toContain('encryptField');
});

test('disabling a CSRF check is high', async () => {
  const { risk, analysis } = await service.change({
    'src/app.ts': edit('src/app.ts', '  app.use(csrf({ cookie: false }));\n', ''),
  });
  expect(analysis.stats).toMatchObject({ files: 1, additions: 0, deletions: 1 });
  expectLevel(risk, 'high');
  const control = signalFor(risk, 'security-control', 'src/app.ts');
  expect(control.reason).toContain('removed line 11 in createApp: app.use(csrf({ cookie: false }));');
});

test('a new webhook to an outside host is high', async () => {
  const { risk } = await service.change({
    'src/services/notify.ts': `${SERVICE_FILES['src/services/notify.ts']}
export async function postOrderWebhook(orderId: string, totalCents: number): Promise<void> {
  await fetch('https://hooks.partner-logistics.io/v1/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId, total: formatCents(totalCents) }),
  });
}
`,
  });
  expectLevel(risk, 'high');
  const integration = signalFor(risk, 'external-integration', 'src/services/notify.ts');
  expect(integration.reason).toContain('new webhook to outside host hooks.partner-logistics.io');
  expect(integration.reason).toContain('in postOrderWebhook');
  expect(signalFor(risk, 'network', 'src/services/notify.ts').reason).toContain('new fetch client');
});

test('calling a host the service already uses is not a new integration', async () => {
  const { risk } = await service.change({
    'src/payments/refunds.ts': `export async function lookupIntent(id: string) {\n  return fetch(\`https://api.stripe.com/v1/payment_intents/\${id}\`);\n}\n`,
  });
  expect(risk.signals.find((s) => s.kind === 'external-integration')).toBeUndefined();
});

test('a one-line change to a token check is high', async () => {
  const { risk, analysis } = await service.change({
    'src/middleware/require-user.ts': edit(
      'src/middleware/require-user.ts',
      "if (!claims) return res.status(401).json({ error: 'unauthorized' });",
      "if (!claims && process.env.NODE_ENV === 'production') return res.status(401).json({ error: 'unauthorized' });",
    ),
  });
  expect(analysis.stats).toMatchObject({ files: 1, additions: 1, deletions: 1 });
  expectLevel(risk, 'high');
  const auth = signalFor(risk, 'auth', 'src/middleware/require-user.ts');
  expect(auth.reason).toContain('in requireUser');
});

test('a change to token expiry inside verifyToken is high', async () => {
  const { risk } = await service.change({
    'src/auth/session.ts': edit('src/auth/session.ts', 'if (claims.exp < Date.now() / 1000)', 'if (claims.exp + 3600 < Date.now() / 1000)'),
  });
  expectLevel(risk, 'high');
  expect(signalFor(risk, 'auth', 'src/auth/session.ts').reason).toContain('function verifyToken changed');
});

test('a change touching both UI and auth is high', async () => {
  const { risk } = await service.change({
    'src/styles/app.css': `${SERVICE_FILES['src/styles/app.css']}\n.login-button {\n  background: #0b5;\n}\n`,
    'src/auth/session.ts': edit('src/auth/session.ts', "const SECRET = process.env.SESSION_SECRET ?? '';", "const SECRET = process.env.SESSION_SECRET ?? 'dev-secret';"),
  });
  expectLevel(risk, 'high');
  signalFor(risk, 'styles', 'src/styles/app.css');
  signalFor(risk, 'auth', 'src/auth/session.ts');
});

test('allowing every CORS origin in config is high', async () => {
  const { risk } = await service.change({
    'config/app.yaml': edit('config/app.yaml', 'server:\n  port: 3000\n', "server:\n  port: 3000\n  cors:\n    origin: '*'\n    credentials: true\n"),
  });
  expectLevel(risk, 'high');
  expect(signalFor(risk, 'security-control', 'config/app.yaml').reason).toContain('("cors")');
});

test('running the container as root is high', async () => {
  const { risk } = await service.change({ Dockerfile: edit('Dockerfile', 'USER node', 'USER root') });
  expectLevel(risk, 'high');
  expect(signalFor(risk, 'permissions', 'Dockerfile').reason).toContain('container user (runs as root)');
});

test('dropping a column is high', async () => {
  const { risk } = await service.change({
    'migrations/002_drop_payment_intent.sql': 'ALTER TABLE orders DROP COLUMN payment_intent;\n',
  });
  expectLevel(risk, 'high');
  signalFor(risk, 'data-destructive', 'migrations/002_drop_payment_intent.sql');
});

describe("airlock's own files", () => {
  test('weakening the policy file is high, even when the change zeroes every weight', async () => {
    const zero = Object.fromEntries(SIGNAL_KINDS.map((k) => [k, 0]));
    const weakened = `version: 1\nrisk:\n  weights:\n${Object.keys(zero).map((k) => `    ${k}: 0`).join('\n')}\n`;
    const { risk, analysis } = await service.change(
      { 'airlock.policy.yaml': weakened },
      { policy: riskPolicySchema.parse({ weights: zero }) }, // as if the head's policy were used
    );
    expect(analysis.touchesGates).toBe(true);
    expectLevel(risk, 'high');
    expect(risk.score).toBe(60);
    signalFor(risk, 'airlock-config', 'airlock.policy.yaml');
  });

  test('a CI pipeline change is high', async () => {
    const { risk } = await service.change({
      '.github/workflows/ci.yml': edit('.github/workflows/ci.yml', '      - run: npm ci && npm test\n', '      - run: npm ci\n'),
    });
    expectLevel(risk, 'high');
    expect(signalFor(risk, 'airlock-config', '.github/workflows/ci.yml').reason).toContain('must not weaken the gates');
  });

  test('adding a GitLab pipeline or editing airlock.yaml is high', async () => {
    const { risk } = await service.change({
      '.gitlab-ci.yml': 'deploy:\n  script:\n    - airlock trigger --repo . --env production --wait\n',
      'airlock.yaml': edit('airlock.yaml', 'routerPort: 18080', 'routerPort: 18081'),
    });
    expectLevel(risk, 'high');
    signalFor(risk, 'airlock-config', '.gitlab-ci.yml');
    signalFor(risk, 'airlock-config', 'airlock.yaml');
  });
});
