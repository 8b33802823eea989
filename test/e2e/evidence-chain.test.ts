// Issue 12: every release carries a signed evidence chain (in-toto statements in DSSE envelopes, next to the
// image in the registry) that `airlock verify` checks offline, and a deploy admits only images whose chain
// verifies. Through the built CLI on the real stack (registry, Trivy, Temporal, Docker): a promoted
// pipeline's chain, an exported bundle tampered with in each way an attacker would, a pre-pushed tag with a
// forged label, a blocked verdict, and an envelope signed by an unknown key pushed to the registry.
import { execFileSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryAttestations } from '../../activities/evidence/registry-attestations';
import { SCENARIOS } from '../../cli/demo/scenarios';
import { releaseId } from '../../model/names';
import { E2eWorld, PIPELINE_TIMEOUT_MS, SERVICE, useE2eWorld } from '../support/e2e-world';

const endpoint = SCENARIOS[1]!; // a new endpoint: medium risk, alice approves
const secret = SCENARIOS[3]!; // a planted secret: blocked by the policy
const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;
let world: E2eWorld;
let image: string; // the promoted pipeline's image
let forged: string; // the tag pushed before the pipeline, with a label claiming the pipeline's commit
let bundle: string;
let blockedImage: string; // the image of a pipeline the policy blocked (its chain: build, sbom, vuln, blocked verdict)

useE2eWorld({ name: 'evidence' }, (w) => (world = w));
afterAll(() => bundle && rmSync(bundle, { recursive: true, force: true }));

interface VerifyJson {
  verified: boolean;
  links: { link: string; ok: boolean; reason?: string; keyid?: string }[];
  firstBroken?: { link: string; reason: string };
}
const verify = (...args: string[]) => {
  const r = world.cli(['verify', ...args, '--json']);
  return { code: r.code, stderr: r.stderr, json: r.stdout.trim() ? (JSON.parse(r.stdout) as VerifyJson) : undefined };
};
/** The DSSE pre-authentication encoding, written here from the spec (not airlock's code path). */
const pae = (type: string, body: Buffer) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);

test('a pre-pushed tag with a forged label is rebuilt; the promoted image verifies: build, SBOM, scan, policy, approvals, rollout', async () => {
  const head = world.repo.commit(endpoint.change(world.repo));
  // someone with registry access pushes the release tag first, labelled with the pipeline's commit
  const tag = `${world.config.registry}/${SERVICE}:${releaseId(SERVICE, world.environment, head)}`;
  const ctx = mkdtempSync(join(world.dir, 'forged-'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM airlock/base:bookworm-1\nLABEL org.opencontainers.image.revision=${head} dev.airlock.created-by=airlock\n`);
  execFileSync('docker', ['build', '-q', '-t', tag, ctx], { stdio: 'pipe' });
  execFileSync('docker', ['push', '-q', tag], { stdio: 'pipe' });
  const repoDigests = execFileSync('docker', ['inspect', '--format', '{{json .RepoDigests}}', tag], { encoding: 'utf8' });
  forged = (JSON.parse(repoDigests) as string[]).find((d) => d.startsWith(`${world.config.registry}/${SERVICE}@`))!;
  expect(forged).toMatch(/@sha256:[0-9a-f]{64}$/);

  const id = world.pipelineId(head);
  expect(world.trigger().code).toBe(0);
  await world.waitForState(id, (s) => s.stage === 'approval' || s.status !== 'RUNNING', 'waiting for approval');
  expect(world.cli(['approve', id, '--as', 'alice']).code).toBe(0);
  const done = await world.waitForState(id, (s) => s.status !== 'RUNNING', 'finished');
  expect(done.outcome).toMatchObject({ kind: 'promoted' });
  image = done.image!;
  expect(image).not.toBe(forged); // rebuilt: the worker signed no provenance for the forged digest

  const r = verify(image, '--env', world.environment);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  expect(r.json!.links.map((l) => [l.link, l.ok])).toEqual(expect.arrayContaining([['build', true], ['sbom', true], ['vuln', true], ['policy', true], ['approvals', true], ['rollout', true]]));
  const table = world.cli(['verify', image]);
  expect(table.stdout).toMatch(/approvals\s+sha256:[0-9a-f]{12}…\s+\S+\s+ok/);
  expect(table.stdout).toMatch(/\nverified\n?$/);

  // judged for this environment only
  const other = verify(image, '--env', 'production-eu');
  expect(other).toMatchObject({ code: 3, json: { verified: false, firstBroken: { link: 'policy', reason: expect.stringContaining(`judged for environment ${world.environment}, not production-eu`) } } });
  // the forged tag has no chain: not verified, and not deployable
  expect(verify(forged)).toMatchObject({ code: 3, json: { firstBroken: { link: 'build', reason: 'the build link is missing' } } });
  const deploy = world.cli(['deploy', '--service-dir', world.repo.dir, '--env', world.environment, '--image', forged, '--wait'], PIPELINE_TIMEOUT_MS);
  expect({ code: deploy.code, stderr: deploy.stderr }).toMatchObject({ code: 3, stderr: expect.stringContaining('does not verify: the build link is missing') });
}, 2 * PIPELINE);

test('an independent DSSE check (from the spec, node:crypto) accepts every envelope in the registry', async () => {
  const { envelopes } = await new RegistryAttestations(world.config.registry).list(image);
  const key = createPublicKey(readFileSync(join(world.config.dirs.keys, 'worker-signing.pub.pem')));
  expect(envelopes.length).toBeGreaterThanOrEqual(6);
  for (const e of envelopes) {
    const body = Buffer.from(e.payload, 'base64');
    expect(e.payloadType).toBe('application/vnd.in-toto+json');
    expect(nodeVerify('sha256', pae(e.payloadType, body), key, Buffer.from(e.signatures[0]!.sig, 'base64'))).toBe(true);
    const statement = JSON.parse(body.toString('utf8')) as { _type: string; subject: { digest: { sha256: string } }[] };
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(`sha256:${statement.subject[0]!.digest.sha256}`).toBe(image.slice(image.indexOf('@') + 1));
  }
});

test('a blocked verdict is in the chain: the image never verifies', async () => {
  const head = world.repo.commit(secret.change(world.repo));
  const id = world.pipelineId(head);
  expect(world.trigger().code).toBe(0);
  const done = await world.waitForState(id, (s) => s.status !== 'RUNNING', 'finished');
  expect(done.outcome).toMatchObject({ kind: 'blocked_by_policy' });
  const r = verify(done.image!);
  expect(r).toMatchObject({ code: 3, json: { firstBroken: { link: 'policy', reason: expect.stringContaining('the policy verdict blocked the image') } } });
  blockedImage = done.image!;
}, PIPELINE);

test('export for auditors, verify the bundle offline; each tampering breaks the link it touched', async () => {
  bundle = mkdtempSync(join(world.dir, 'bundle-'));
  const out = join(bundle, 'chain');
  const exported = world.cli(['evidence', 'export', image, '--out', out]);
  expect({ code: exported.code, stderr: exported.code === 0 ? '' : exported.stderr }).toEqual({ code: 0, stderr: '' });
  const files = readdirSync(out);
  expect(files).toEqual(expect.arrayContaining(['README.md', 'sbom.cdx.json', 'worker-1.pub.pem']));
  expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(`airlock verify ${image} --bundle .`);
  const key = join(out, 'worker-1.pub.pem');
  expect(verify(image, '--bundle', out, '--key', key, '--env', world.environment)).toMatchObject({ code: 0, json: { verified: true } });

  const approvals = files.find((f) => f.endsWith('-approvals.dsse.json'))!;
  const variant = (name: string, change: (dir: string) => void) => {
    const dir = join(bundle, name);
    execFileSync('cp', ['-r', out, dir]);
    change(dir);
    return verify(image, '--bundle', dir, '--key', key);
  };
  // one byte of the approvals predicate changed (in the risk level): its signature no longer verifies
  const edited = variant('edited', (dir) => {
    const e = JSON.parse(readFileSync(join(dir, approvals), 'utf8')) as { payload: string };
    const bytes = Buffer.from(e.payload, 'base64');
    const at = bytes.indexOf('"riskLevel":"') + 13;
    bytes[at] = bytes[at]! ^ 0x01;
    e.payload = bytes.toString('base64');
    writeFileSync(join(dir, approvals), JSON.stringify(e));
  });
  expect(edited).toMatchObject({ code: 3, json: { firstBroken: { link: 'unknown', reason: expect.stringMatching(/signature/) } } });
  // the approvals link removed
  const removed = variant('removed', (dir) => rmSync(join(dir, approvals)));
  expect(removed).toMatchObject({ code: 3, json: { firstBroken: { link: 'approvals', reason: 'the approvals link is missing' } } });
  // a link copied from another image's chain (the blocked pipeline's build provenance, signed by the same worker)
  const theirs = (await new RegistryAttestations(world.config.registry).list(blockedImage)).envelopes.find(
    (e) => (JSON.parse(Buffer.from(e.payload, 'base64').toString('utf8')) as { predicateType: string }).predicateType === 'https://slsa.dev/provenance/v1',
  )!;
  const build = files.find((f) => f.endsWith('-build.dsse.json'))!;
  const copied = variant('copied', (dir) => writeFileSync(join(dir, build), JSON.stringify(theirs)));
  expect(copied).toMatchObject({ code: 3, json: { firstBroken: { reason: expect.stringMatching(/not the image's sha256:/) } } });
  // an envelope signed by a key nobody trusts
  const unknown = variant('unknown-key', (dir) => {
    const e = JSON.parse(readFileSync(join(dir, approvals), 'utf8')) as { payloadType: string; payload: string; signatures: { keyid: string; sig: string }[] };
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    e.signatures = [{ keyid: '', sig: nodeSign('sha256', pae(e.payloadType, Buffer.from(e.payload, 'base64')), privateKey).toString('base64') }];
    writeFileSync(join(dir, approvals), JSON.stringify(e));
  });
  expect(unknown).toMatchObject({ code: 3, json: { firstBroken: { reason: expect.stringMatching(/trusted key/) } } });
  // bad input: exit 2
  expect(world.cli(['verify', 'demo:latest']).code).toBe(2);
});

test('an envelope signed by an unknown key, pushed next to the image: the chain breaks and the deploy is refused', async () => {
  const { envelopes } = await new RegistryAttestations(world.config.registry).list(image);
  const e = envelopes[0]!;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const body = Buffer.from(e.payload, 'base64');
  await new RegistryAttestations(world.config.registry).attach(image, [{ payloadType: e.payloadType, payload: e.payload, signatures: [{ keyid: 'attacker', sig: nodeSign('sha256', pae(e.payloadType, body), privateKey).toString('base64') }] }]);
  expect(verify(image)).toMatchObject({ code: 3, json: { firstBroken: { reason: expect.stringMatching(/trusted key/) } } });
  const deploy = world.cli(['deploy', '--service-dir', world.repo.dir, '--env', world.environment, '--image', image, '--wait'], PIPELINE_TIMEOUT_MS);
  expect({ code: deploy.code, stderr: deploy.stderr }).toMatchObject({ code: 3, stderr: expect.stringContaining('does not verify') });
}, PIPELINE);
