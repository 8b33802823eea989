// Attack: one person, two approver ids (issue 11, item 5). A policy lists the same public key under two
// ids ("alice" in developers, "alice-sec" in security), so one key holder fills two approval slots, the
// security one included. Loading such a policy must fail with a `path: message` error. Driven through the
// built CLI: `airlock policy check`. Needs no stack.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyOf } from '../../../model/approval';
import { emptyCounts, type ScanSummary } from '../../../model/scan';
import { airlock } from '../../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'airlock-attack-key-twice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const D = `sha256:${'b'.repeat(64)}`;
const summary: ScanSummary = {
  image: `127.0.0.1:5000/svc@${D}`,
  vulnerabilities: { counts: emptyCounts(), findings: [] },
  secrets: [],
  misconfigurations: [],
  licenses: [],
  reportDigest: D,
  sbomDigest: D,
  trivyVersion: '0.74.0',
  dbMode: 'fixture',
  imageUser: { user: 'app', uid: 10001, configDigest: D },
};

test('a policy listing the same key under two approver ids is a policy error (exit 2, path: message)', () => {
  const key = publicKeyOf('a1'.repeat(32));
  const policy = join(dir, 'airlock.policy.yaml');
  writeFileSync(
    policy,
    `approverGroups:
  developers:
    members:
      - { id: alice, publicKey: ${key} }
      - { id: bob, publicKey: ${publicKeyOf('b1'.repeat(32))} }
  security:
    members:
      - { id: alice-sec, publicKey: ${key} }
approvals:
  high: { required: 2, require: [security] }
`,
  );
  const scan = join(dir, 'scan.json');
  writeFileSync(scan, JSON.stringify(summary));
  const r = airlock(['policy', 'check', '--policy', policy, '--scan', scan]);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('approverGroups.security.members.0.publicKey: the same key is listed for alice: one key may belong to one approver id only'),
  });
});
