/**
 * Benchmark of the evidence chain on the real registry: signing every attestation of one release (build
 * provenance, SBOM, vulnerability scan, policy verdict, approvals; ECDSA P-256 with the worker's key) and
 * pushing them next to its image (cosign's `.att` layout), target p50 <= 1 s. Baseline measured in the same
 * run: pushing the (tiny) image itself, i.e. the registry round trips alone. Also printed: the links pushed one
 * by one as the pipeline does (one attach per stage), and `airlock verify`'s read + check of the chain.
 * p50 over N runs (default 20; AIRLOCK_BENCH_RUNS). Run: `node dist/bench/evidence.js [--json]`.
 */
import { Distribution } from '../activities/evidence/distribution';
import { RegistryAttestations } from '../activities/evidence/registry-attestations';
import { loadSigningKey } from '../activities/evidence/signing-key';
import { loadConfig } from '../infra/config';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, statementBytes, verifyChain, type Statement } from '../model/evidence';
import { policy, statements } from '../test/support/evidence-chain';
import { pushTinyImage } from '../test/support/tiny-image';
import { report, runBench } from './support/run';

const RUNS = Number(process.env.AIRLOCK_BENCH_RUNS ?? 20);

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const stats = (xs: number[]) => ({ runs: xs.length, p50: quantile(xs, 0.5), p90: quantile(xs, 0.9), min: Math.min(...xs), max: Math.max(...xs) });
const ms = (x: number) => `${x.toFixed(0)} ms`;

/** The release's statements (the unit tests' realistic chain), about `image`. */
function about(image: { name: string; digest: string }): Statement<unknown>[] {
  return statements().map((s) => ({ ...s, subject: [{ name: image.name, digest: { sha256: image.digest.slice('sha256:'.length) } }] }));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const key = await loadSigningKey(config);
  const dist = new Distribution(config.registry);
  const registry = new RegistryAttestations(config.registry);
  const repository = `bench-evidence-${Date.now().toString(36)}`;
  const baseline: number[] = [];
  const all: number[] = [];
  const perStage: number[] = [];
  const verify: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now();
    const digest = await pushTinyImage(dist, repository);
    baseline.push(performance.now() - t);
    const image = { name: `${config.registry}/${repository}`, digest };

    t = performance.now();
    const envelopes = await Promise.all(about(image).map((s) => signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(s), key.signer)));
    await registry.attach(`${image.name}@${digest}`, envelopes);
    all.push(performance.now() - t);

    t = performance.now();
    const { envelopes: read } = await registry.list(`${image.name}@${digest}`);
    const chain = verifyChain(read, { digest, trustedKeys: [key.trusted], policy });
    verify.push(performance.now() - t);
    // every signature verified (the fixture approvals stay bound to the fixture's image, so that link's own check is not the point here)
    if (chain.links.filter((l) => l.keyid).length !== envelopes.length) throw new Error(`bench chain did not verify: ${JSON.stringify(chain.firstBroken)}`);

    const second = await pushTinyImage(dist, repository);
    t = performance.now();
    for (const s of about({ name: image.name, digest: second })) await registry.attach(`${image.name}@${second}`, [await signEnvelope(IN_TOTO_PAYLOAD_TYPE, statementBytes(s), key.signer)]);
    perStage.push(performance.now() - t);
  }
  const b = stats(baseline);
  const a = stats(all);
  const p = stats(perStage);
  const v = stats(verify);
  const links = about({ name: 'x', digest: `sha256:${'0'.repeat(64)}` }).length;
  const ok = a.p50 <= 1000;
  report({ runs: RUNS, links, baselineImagePush: b, signAndPushAll: a, onePerStage: p, readAndVerify: v, ratio: a.p50 / b.p50 }, ok, [
    `evidence chain of one release (${links} links), ${RUNS} runs, registry ${config.registry}`,
    `  baseline: push the image itself           p50 ${ms(b.p50)}  p90 ${ms(b.p90)}`,
    `  sign + push all links (one attach)        p50 ${ms(a.p50)}  p90 ${ms(a.p90)}  (${(a.p50 / b.p50).toFixed(1)}x baseline; target p50 <= 1000 ms)`,
    `  one attach per stage (as the pipeline)    p50 ${ms(p.p50)}  p90 ${ms(p.p90)}  (${(p.p50 / b.p50).toFixed(1)}x baseline)`,
    `  read + verify the chain (airlock verify)  p50 ${ms(v.p50)}  p90 ${ms(v.p90)}`,
  ]);
}

runBench(main);
