import { ed25519 } from '@noble/curves/ed25519';
import { parseYaml } from '../../activities/shared';
import { InvalidInputError, parseWith } from '../../model/parse';
import { activeFreezeWindow, approvalRule, decodePublicKey, exceptionExpiresAt, matchesGlob, policyDurationMs, policySchema } from '../../model/policy';

const key = () => ed25519.getPublicKey(ed25519.utils.randomPrivateKey());
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');

const lines = (value: unknown): string[] => {
  try {
    parseWith(policySchema, value, 'airlock.policy.yaml');
  } catch (err) {
    if (err instanceof InvalidInputError) return err.lines;
    throw err;
  }
  return [];
};

describe('airlock.policy.yaml schema', () => {
  it('fills safe defaults for an empty file', () => {
    const p = policySchema.parse({});
    expect(p.gates.vulnerabilities).toEqual({ maxSeverity: 'high', failOnFixable: ['critical', 'high'], ignoreUnfixed: false });
    expect(p.gates.secrets.allowed).toBe(false);
    expect(p.gates.dockerfile.requireNonRoot).toBe(true);
    expect(p.approvals.timeout).toBe('24h');
    expect(p.approvals.low.required).toBe(0);
    expect(p.risk).toBeUndefined();
  });

  it('parses the documented example', () => {
    const alice = key();
    const bob = key();
    const carol = key();
    const yaml = `
version: 1
security_requirements:
  authentication: mandatory
  encryption_at_rest: required
  encryption_in_transit: required
  input_validation: strict
  error_handling: secure
  logging: comprehensive
gates:
  vulnerabilities: { maxSeverity: medium, failOnFixable: [critical, high], ignoreUnfixed: true }
  secrets: { allowed: false }
  dockerfile: { requireNonRoot: true, requireHealthcheck: true, deny: [DS001] }
  licenses: { deny: [AGPL-3.0-only] }
  baseImages: { allow: ["airlock/base:*"] }
exceptions:
  - id: GHSA-xvch-5gv4-984h
    owner: alice@example.com
    reason: argv parsing only sees our own flags
    expires: 2026-12-31
    packages: [minimist]
approverGroups:
  developers:
    members:
      - { id: alice, publicKey: "${b64(alice)}" }
      - { id: bob, publicKey: "${hex(bob)}" }
  security:
    members:
      - { id: carol, publicKey: "${b64(carol)}" }
approvals:
  timeout: 4h
  medium: { required: 1 }
  high: { required: 2, from: [developers, security], require: [security] }
freezeWindows:
  - { name: year-end, start: "2026-12-20T00:00:00Z", end: "2027-01-04T00:00:00Z", environments: [production] }
  - name: friday-evening
    weekly: { days: [fri], start: "16:00", end: "24:00" }
risk:
  weights: { auth: 30 }
`;
    const p = parseWith(policySchema, parseYaml(yaml, 'airlock.policy.yaml'), 'airlock.policy.yaml');
    expect(approvalRule(p, 'high')).toEqual({ required: 2, from: ['developers', 'security'], require: ['security'] });
    expect(approvalRule(p, 'medium').from).toEqual(['developers', 'security']);
    expect(policyDurationMs(p.approvals.timeout)).toBe(4 * 3_600_000);
    expect(p.risk).toEqual({ weights: { auth: 30 } });
    expect(decodePublicKey(p.approverGroups.developers!.members[1]!.publicKey)).toEqual(bob);
  });

  it('reports every bad field as a path: message line', () => {
    expect(
      lines({
        gate: {},
        gates: { vulnerabilities: { maxSeverity: 'severe' }, dockerfile: { deny: ['no-root'] } },
        exceptions: [{ id: 'CVE-1', owner: 'a', reason: 'r', expires: 'next week' }],
        approverGroups: { security: { members: [{ id: 'carol', publicKey: 'not-a-key' }] } },
        approvals: { timeout: '1 day', high: { required: 2, require: ['sec'] } },
        freezeWindows: [{ name: 'x', start: '2026-12-20T00:00:00Z' }, { name: 'y' }],
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\(root\): .*gate/),
        expect.stringMatching(/^gates\.vulnerabilities\.maxSeverity: /),
        'gates.dockerfile.deny.0: must be a Trivy check id like DS001',
        'exceptions.0.expires: must be a date (2026-12-31) or an ISO date-time (2026-12-31T18:00:00Z)',
        'approverGroups.security.members.0.publicKey: must be an ed25519 public key: 32 bytes as 64 hex digits or base64',
        'approvals.timeout: must be a duration like 30m, 24h or 7d',
        'freezeWindows.0.end: a one-off window needs both start and end',
        'freezeWindows.1: give start and end, or weekly',
      ]),
    );
  });

  it('checks approval rules against the approver groups', () => {
    const only = { members: [{ id: 'carol', publicKey: b64(key()) }] };
    expect(lines({ approverGroups: { security: only }, approvals: { high: { required: 2, require: ['sec'] } } })).toEqual([
      'approvals.high.require.0: no approver group named sec',
      'approvals.high.required: needs 2 distinct approvers but the eligible groups have 1 members',
    ]);
    expect(lines({ approverGroups: { security: only }, approvals: { medium: { required: 1, from: ['devs'] } } })).toContain(
      'approvals.medium.from.0: no approver group named devs',
    );
    expect(lines({ approvals: { high: { required: 1, require: ['security', 'dev'] } } })).toContain('approvals.high.require: requires more groups than approvals');
    expect(lines({ approvals: { timeout: '31d' } })).toEqual(['approvals.timeout: must be between 1s and 30d']);
    const a = key();
    expect(
      lines({
        approverGroups: {
          dev: { members: [{ id: 'ann', publicKey: b64(a) }, { id: 'ann', publicKey: b64(a) }] },
          security: { members: [{ id: 'ann', publicKey: b64(key()) }] },
        },
        approvals: { high: { required: 1 } },
      }),
    ).toEqual(['approverGroups.dev.members.1.id: duplicate member ann', 'approverGroups.security.members.0.publicKey: ann has a different key in another group']);
  });
});

describe('policy helpers', () => {
  it('decodes ed25519 keys given as hex or base64 (with or without padding), nothing else', () => {
    const k = key();
    expect(decodePublicKey(hex(k))).toEqual(k);
    expect(decodePublicKey(b64(k))).toEqual(k);
    expect(decodePublicKey(b64(k).replace(/=$/, ''))).toEqual(k);
    expect(decodePublicKey(b64(new Uint8Array(33)))).toBeUndefined();
    expect(decodePublicKey('-----BEGIN PUBLIC KEY-----')).toBeUndefined();
    expect(decodePublicKey(`${b64(k).slice(0, 42)}B=`)).toBeUndefined(); // spare bits set: not a canonical 32-byte encoding
  });

  it('lets a date-only exception run through the end of that day (UTC)', () => {
    const e = { id: 'X', owner: 'o', reason: 'r', expires: '2026-06-30' };
    expect(new Date(exceptionExpiresAt(e)).toISOString()).toBe('2026-07-01T00:00:00.000Z');
    expect(new Date(exceptionExpiresAt({ ...e, expires: '2026-06-30T12:00:00+02:00' })).toISOString()).toBe('2026-06-30T10:00:00.000Z');
  });

  it('finds the freeze window covering an environment at a time', () => {
    const p = policySchema.parse({
      freezeWindows: [
        { name: 'year-end', start: '2026-12-20T00:00:00Z', end: '2027-01-04T00:00:00Z', environments: ['production'] },
        { name: 'nights', weekly: { days: ['mon'], start: '22:00', end: '06:00' } },
      ],
    });
    expect(activeFreezeWindow(p, 'production', new Date('2026-12-24T10:00:00Z'))?.name).toBe('year-end');
    expect(activeFreezeWindow(p, 'staging', new Date('2026-12-24T10:00:00Z'))).toBeUndefined();
    expect(activeFreezeWindow(p, 'production', new Date('2027-01-04T00:00:00Z'))).toBeUndefined();
    // 2026-11-23 is a Monday: 23:00 Monday and 05:59 Tuesday are frozen, 06:00 Tuesday and 23:00 Sunday are not
    expect(activeFreezeWindow(p, 'staging', new Date('2026-11-23T23:00:00Z'))?.name).toBe('nights');
    expect(activeFreezeWindow(p, 'staging', new Date('2026-11-24T05:59:00Z'))?.name).toBe('nights');
    expect(activeFreezeWindow(p, 'staging', new Date('2026-11-24T06:00:00Z'))).toBeUndefined();
    expect(activeFreezeWindow(p, 'staging', new Date('2026-11-22T23:00:00Z'))).toBeUndefined();
  });

  it('matches base images with * globs', () => {
    expect(matchesGlob('airlock/base:*', 'airlock/base:bookworm-1')).toBe(true);
    expect(matchesGlob('airlock/base:*', 'airlock/base-evil:1')).toBe(false);
    expect(matchesGlob('registry.example.com/*/node:20', 'registry.example.com/lib/node:20')).toBe(true);
  });
});
