import { entropy, looksGenerated, REDACTED, redactDeep, redactText } from '../../model/redact';

const STRIPE = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const GHP = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const FINE = 'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP';
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7Zq3\nabc\n-----END RSA PRIVATE KEY-----';

describe('redactText', () => {
  it.each([
    ['Stripe', `api = ${STRIPE}`, STRIPE],
    ['GitHub classic', `echo ${GHP} > /dev/null`, GHP],
    ['GitHub fine-grained', `t ${FINE}`, FINE],
    ['AWS access key id', `aws ${AWS} x`, AWS],
    ['Slack', `hook ${SLACK}`, SLACK],
    ['JWT', `Authorization: Bearer ${JWT}`, JWT],
    ['PEM private key', `key:\n${PEM}\nafter`, 'MIIEpAIBAAKCAQEA7Zq3'],
    ['PEM header cut short', '+-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU'],
  ])('masks a %s', (_what, text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it.each([
    ['api_key="hunter2-not-a-shape"', 'hunter2-not-a-shape'],
    ["password: 'correct horse battery'", 'correct horse battery'],
    ['DB_PASSWORD=s3cr3t', 's3cr3t'],
    ['const clientSecret = `abc123`;', 'abc123'],
    ['{"token":"plain-value"}', 'plain-value'],
    ['"api_key = \\"escaped-in-json\\""', 'escaped-in-json'],
    ['session_key => "zzz"', 'zzz'],
    ['signing = "Zx8vQ2mP9kLw3RtY7uBn4HcD6fGj"', 'Zx8vQ2mP9kLw3RtY7uBn4HcD6fGj'],
  ])('masks the value of %s', (text, secret) => {
    expect(redactText(text)).not.toContain(secret);
  });

  it('strips URL userinfo and keeps the rest of the URL', () => {
    expect(redactText('source=https://deploy:glpat-abcdefghijklmnopqrst@git.example.com/team/app.git')).toBe('source=https://git.example.com/team/app.git');
    expect(redactText('https://x-access-token:tok3n@github.com/o/r')).toBe('https://github.com/o/r');
    expect(redactText('http://127.0.0.1:5000/v2/')).toBe('http://127.0.0.1:5000/v2/');
  });

  it('leaves references to secrets, digests, commit ids, paths and prose alone', () => {
    for (const text of [
      'password = process.env.DB_PASSWORD',
      'token: ${{ secrets.DEPLOY_TOKEN }}',
      'api_key = os.environ["API_KEY"]',
      'const token = getToken();',
      `digest: sha256:${'ab12'.repeat(16)}`,
      'commit = 9261d1ce05fbbd655a1c8cc3f88bb71cf72e0d0d',
      'path = "src/components/LoginForm2.tsx"',
      'secrets handling: src/config.ts (added line 3)',
      'author: dana@example.com',
      'image: 127.0.0.1:5000/demo@sha256:' + '0'.repeat(64),
    ])
      expect(redactText(text)).toBe(text);
  });

  it('is idempotent', () => {
    const text = `api_key="${STRIPE}" url=https://u:p@h/x ${JWT}`;
    expect(redactText(redactText(text))).toBe(redactText(text));
  });

  it('entropy and looksGenerated tell keys from words', () => {
    expect(entropy('aaaa')).toBe(0);
    expect(looksGenerated('Zx8vQ2mP9kLw3RtY7uBn4HcD6fGj')).toBe(true);
    expect(looksGenerated('this_is_a_long_identifier_name')).toBe(false);
  });
});

describe('redactText: properties over random tokens in random text (seeded)', () => {
  // A small property test (no fast-check: one hand-rolled generator, a fixed seed, 500 cases per shape).
  let seed = 0x2f6e2b1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = (chars: string, n: number) => Array.from({ length: n }, () => chars[Math.floor(rand() * chars.length)]).join('');
  const AN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const shapes: [string, () => string][] = [
    ['stripe', () => `sk_${rand() < 0.5 ? 'live' : 'test'}_${pick(AN, 24)}`],
    ['ghp', () => `ghp_${pick(AN, 36)}`],
    ['aws', () => `AKIA${pick('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`],
    ['slack', () => `xoxp-${pick('0123456789', 12)}-${pick(AN, 24)}`],
    ['jwt', () => `eyJ${pick(AN, 20)}.eyJ${pick(AN, 30)}.${pick(AN, 43)}`],
    ['assigned', () => pick(AN, 12 + Math.floor(rand() * 30))],
  ];
  const prose = () => pick('abcdefghij klmnop ,.:;()[]{}=-_/\n\t', Math.floor(rand() * 60));
  const wrap = (name: string, secret: string): string => {
    if (name !== 'assigned') return `${prose()} ${secret}${rand() < 0.5 ? ' ' : '\n'}${prose()}`;
    const key = ['api_key', 'PASSWORD', 'client_secret', 'authToken', 'db.password'][Math.floor(rand() * 5)];
    const sep = [' = ', '=', ': ', ' => ', ':='][Math.floor(rand() * 5)];
    const q = ['"', "'", '`', '\\"', ''][Math.floor(rand() * 5)];
    return `${prose()}\n${key}${sep}${q}${secret}${q}${rand() < 0.5 ? ';' : ''}\n${prose()}`;
  };
  it.each(shapes)('a %s value never survives, and redaction is idempotent', (name, gen) => {
    for (let i = 0; i < 500; i++) {
      const secret = gen();
      const text = wrap(name, secret);
      const out = redactText(text);
      if (out.includes(secret)) throw new Error(`survived: ${JSON.stringify(text)} -> ${JSON.stringify(out)}`);
      expect(redactText(out)).toBe(out);
    }
  });
});

describe('redactDeep', () => {
  it('redacts every string value, keeps keys, shape and untouched objects', () => {
    const clean = { n: 1, ok: true, list: ['a'] };
    const v = { clean, reasons: [`secrets: added line 3: api_key="${STRIPE}"`], label: { source: 'https://u:tok@h/r' }, n: null };
    const out = redactDeep(v);
    expect(out).toEqual({ clean, reasons: [`secrets: added line 3: api_key="${REDACTED}"`], label: { source: 'https://h/r' }, n: null });
    expect(out.clean).toBe(clean);
    expect(redactDeep(clean)).toBe(clean);
  });
});

describe('redactText keeps signed data intact', () => {
  it('leaves public keys, signatures and payloads written as JSON or YAML alone', () => {
    const sig = 'MEUCIQDx8vQ2mP9kLw3RtY7uBn4HcD6fGjZx8vQ2mP9kLw3RtYgIgY7uBn4HcD6fGjZx8vQ2mP9kLw3RtY7uBn4HcD6fGj==';
    for (const text of [`{"publicKey": "Zx8vQ2mP9kLw3RtY7uBn4HcD6fGjZx8vQ2mP9kLw3Rk="}`, `{"sig":"${sig}"}`, `sig: ${sig}`, `{"payload":"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjEifQ=="}`])
      expect(redactText(text)).toBe(text);
  });
});

describe('redactText on JSON text (evidence files)', () => {
  it('keeps JSON valid and masks only secret values', () => {
    const doc = { secrets: [{ ruleId: 'github-pat' }], tokens: 5, password: null, token: 'plain-value', reasons: [`api_key="${STRIPE}"`], empty: {} };
    const out = redactText(JSON.stringify(doc, null, 1));
    expect(JSON.parse(out)).toEqual({ ...doc, token: REDACTED, reasons: [`api_key="${REDACTED}"`] });
  });
});
