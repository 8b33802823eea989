/**
 * Security-sensitive vocabulary. Words are matched against identifiers split into lower-case parts
 * (`verifyToken` -> verify, token; `api_key` -> api, key) plus the whole identifier lower-cased.
 *
 * - strong words and phrases mark a line as security-relevant wherever it was added or removed
 *   (`createCipheriv`, `csrf`, `oauth`, `stripe`, `rejectUnauthorized`);
 * - weak words (`token`, `session`, `cookie`, `role`) are everyday words in code that merely USES an
 *   existing mechanism; they count only where a line was removed or rewritten, in a config key path, or in
 *   the name of a function or route that was added, changed or removed.
 */
export const TOPICS = ['auth', 'payments', 'crypto', 'security-control', 'secrets'] as const;
export type Topic = (typeof TOPICS)[number];

interface Vocabulary {
  strong: RegExp;
  weak?: RegExp;
  phrases?: RegExp;
}

const words = (list: string): RegExp => new RegExp(`^(?:${list.trim().split(/\s+/).join('|')})$`);

export const VOCABULARY: Record<Topic, Vocabulary> = {
  auth: {
    strong: words(`
      oauth\\d* openid oidc saml sso jwt jwts jwks jsonwebtoken jose passport webauthn fido2? mfa totp otp 2fa
      authenticat\\w* authoriz\\w* authoris\\w* unauthoriz\\w* unauthenticated
      password\\w* passwd passphrase bcrypt impersonat\\w* reauth\\w*`),
    weak: words(`auth authn authz login logout signin signout signon token tokens session sessions cookie cookies bearer principal role roles
      permission permissions acl acls isadmin superuser claim claims identity`),
  },
  payments: {
    strong: words(`payment payments pay payout payouts charge charges charged refund refunds refunded stripe paypal
      braintree adyen klarna billing invoice invoices invoicing cardnumber cvv cvc iban pci`),
    weak: words('checkout card cards wallet wallets transaction transactions ledger'),
  },
  crypto: {
    strong: words(`cipher\\w* decipher\\w* encrypt\\w* decrypt\\w* aes\\d* gcm cbc ecb rsa ecdsa ecdh ed25519 x25519
      chacha20\\w* hmac pbkdf2 scrypt argon2\\w* hkdf kdf`),
    weak: words('crypto salt salted nonce tls ssl x509 certificate certificates cert certs keypair'),
  },
  'security-control': {
    strong: words(`csrf xsrf csurf cors helmet csp xss sanitize\\w* sanitise\\w* dompurify ratelimit\\w* throttle\\w*
      firewall waf hsts samesite httponly rejectunauthorized insecureskipverify allowlist denylist whitelist
      blacklist nosniff captcha recaptcha hcaptcha`),
    weak: words('validate validation validator secure security trusted origin origins referer referrer'),
    phrases: /rate[_-]?limit|content[_-]security[_-]policy|x-frame-options|strict-transport-security|same[_-]?site|http[_-]?only|NODE_TLS_REJECT_UNAUTHORIZED|verify\s*=\s*False|check_hostname\s*=\s*False|\bsecure\s*:\s*false/i,
  },
  secrets: {
    strong: words('apikey apikeys privatekey vault keystore kms'),
    weak: words('secret secrets credential credentials'),
    phrases:
      /api[_-]?key|private[_-]?key|client[_-]?secret|access[_-]?key|-----BEGIN [A-Z ]*PRIVATE KEY-----|\b(?:process\.env|os\.environ|os\.Getenv|ENV)\b[\w.[\]'"]{0,40}?(?:SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY)/i,
  },
};

/** Lower-case words of a line or identifier: identifiers split at camelCase, digits kept, whole identifiers too. */
export function wordsOf(text: string): Set<string> {
  const out = new Set<string>();
  for (const ident of text.split(/[^A-Za-z0-9]+/)) if (ident) for (const w of partsOf(ident)) out.add(w);
  return out;
}

function partsOf(ident: string): string[] {
  const whole = ident.toLowerCase();
  const parts = ident
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ');
  return parts.length > 1 ? [whole, ...parts.map((p) => p.toLowerCase())] : [whole];
}

export interface TopicHit {
  topic: Topic;
  /** The word or phrase that matched, for the reason text. */
  word: string;
}

interface IdentifierTopics {
  strong: TopicHit[];
  weak: TopicHit[];
}

/** Identifiers repeat a lot across a diff: their topics are computed once (bounded cache, same answers). */
const identifierCache = new Map<string, IdentifierTopics>();

function identifierTopics(ident: string): IdentifierTopics {
  let cached = identifierCache.get(ident);
  if (cached) return cached;
  cached = { strong: [], weak: [] };
  for (const word of partsOf(ident)) {
    for (const topic of TOPICS) {
      const v = VOCABULARY[topic];
      if (v.strong.test(word)) cached.strong.push({ topic, word });
      else if (v.weak?.test(word)) cached.weak.push({ topic, word });
    }
  }
  if (identifierCache.size > 50_000) identifierCache.clear();
  identifierCache.set(ident, cached);
  return cached;
}

/**
 * Topics a text mentions. `weakCounts` says whether weak words count here (removed lines, key paths,
 * symbol names). One hit per topic: a phrase first, then the first word in the text.
 */
export function topicsIn(text: string, weakCounts: boolean): TopicHit[] {
  const found = new Map<Topic, string>();
  for (const topic of TOPICS) {
    const phrase = VOCABULARY[topic].phrases?.exec(text)?.[0];
    if (phrase) found.set(topic, phrase);
  }
  for (const ident of text.split(/[^A-Za-z0-9]+/)) {
    if (!ident) continue;
    const topics = identifierTopics(ident);
    for (const hit of topics.strong) if (!found.has(hit.topic)) found.set(hit.topic, hit.word);
    if (weakCounts) for (const hit of topics.weak) if (!found.has(hit.topic)) found.set(hit.topic, hit.word);
  }
  return TOPICS.filter((t) => found.has(t)).map((topic) => ({ topic, word: found.get(topic)! }));
}
