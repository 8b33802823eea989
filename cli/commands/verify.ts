import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { brokenLink, checkForEnvironment } from '../../activities/evidence/record';
import { RegistryAttestations } from '../../activities/evidence/registry-attestations';
import { SIGNING_PUB_FILE } from '../../activities/evidence/signing-key';
import { loadConfig } from '../../infra/config';
import { fromBase64, LINKS, parseImageRef, trustedKeyFromPem, verifyChain, type ChainResult, type TrustedKey } from '../../model/evidence';
import { jsonFlag, parseCommandArgs } from '../args';
import type { Command } from '../command';
import { EXIT, ExitError } from '../errors';
import { printJson, progress, table } from '../output';

// `airlock verify` and `airlock evidence export`: a release's evidence chain read from the registry (or an
// exported bundle), every link checked offline against worker keys the verifier chooses (docs/evidence.md).

const pinned = z.string().regex(/^[^@\s]+@sha256:[0-9a-f]{64}$/, 'must be an image pinned by digest (repo@sha256:<64 hex>)');
const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a lowercase slug');

const verifyUsage = `usage: airlock verify <image@sha256:digest> [--env <environment>] [--key <public.pem>]... [--bundle <dir>] [--json]

Fetches the evidence chain of an image (the attestations next to it in the registry, cosign's
sha256-<digest>.att tag; or --bundle, a directory from \`airlock evidence export\`) and checks every link
offline: each DSSE envelope signed by a trusted worker key, each statement about this digest, the build
provenance, SBOM and vulnerability scan present, the policy verdict allowed, every approval signature
re-verified against the approver keys of the policy that judged it and the level's rule met (count,
groups, no author). With --env: the verdict and approvals were for that environment.

  --env      the environment the image is to run in
  --key      a trusted worker public key (SPKI PEM); repeatable. Default: this machine's worker key
             ($AIRLOCK_HOME/keys/${SIGNING_PUB_FILE})
  --bundle   read the envelopes from an exported bundle instead of the registry
  --json     print the result as JSON

Exit 0 verified, 3 not verified (the first broken link and why), 2 bad input.`;

const exportUsage = `usage: airlock evidence export <image@sha256:digest> --out <dir> [--key <public.pem>]...

Writes an image's evidence chain for auditors: every DSSE envelope (NN-<link>.dsse.json), the CycloneDX
SBOM, the trusted worker public keys, and a README with the exact commands that verify it (airlock verify
--bundle, and the official cosign). The chain is verified first: a chain that does not verify is not
exported (exit 3).`;

const verifySchema = z.object({
  json: z.boolean(),
  env: slug.optional(),
  key: z.array(z.string().min(1)).optional(),
  bundle: z.string().min(1).optional(),
  positionals: z.tuple([pinned], { error: 'expects exactly one image@sha256:digest' }),
});

const exportSchema = z.object({
  out: z.string().min(1, 'is required'),
  key: z.array(z.string().min(1)).optional(),
  positionals: z.tuple([z.literal('export'), pinned], { error: 'expects: export <image@sha256:digest>' }),
});

/** The worker public keys to trust, as PEM text: --key files, else this machine's worker key. */
export async function trustedPems(keyFiles: string[] | undefined, keysDir: string): Promise<string[]> {
  const files = keyFiles?.length ? keyFiles : [join(keysDir, SIGNING_PUB_FILE)];
  if (!keyFiles?.length && !existsSync(files[0]!))
    throw new ExitError(EXIT.badInput, `airlock verify: no trusted key: pass --key <worker public key PEM> (no local worker key at ${files[0]})`);
  return Promise.all(
    files.map((f) =>
      readFile(f, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new ExitError(EXIT.badInput, `airlock verify: --key ${f}: cannot read it (${err.code ?? err.message})`);
      }),
    ),
  );
}

function keysOf(pems: string[]): TrustedKey[] {
  return pems.map((pem, i) => {
    try {
      return trustedKeyFromPem(pem);
    } catch (err) {
      throw new ExitError(EXIT.badInput, `airlock verify: --key #${i + 1}: ${(err as Error).message}`);
    }
  });
}

async function envelopesFrom(image: string, bundle: string | undefined, registry: string): Promise<unknown[]> {
  if (!bundle) return (await new RegistryAttestations(registry).list(image)).envelopes;
  const names = (await readdir(bundle).catch(() => {
    throw new ExitError(EXIT.badInput, `airlock verify: --bundle ${bundle} is not a directory`);
  })).filter((n) => n.endsWith('.dsse.json')).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(join(bundle, n), 'utf8')) as unknown));
}

/** The chain of `image`, verified (for `env` when given). */
export async function verifyImage(image: string, opts: { env?: string; pems: string[]; bundle?: string; registry: string }): Promise<{ result: ChainResult; envelopes: unknown[] }> {
  const trusted = keysOf(opts.pems);
  const envelopes = await envelopesFrom(image, opts.bundle, opts.registry);
  const { digest } = parseImageRef(image);
  const chain = verifyChain(envelopes, { digest, trustedKeys: trusted });
  return { result: opts.env ? checkForEnvironment(chain, envelopes, opts.env) : chain, envelopes };
}

export function renderChain(image: string, r: ChainResult): string {
  const rows = r.links.map((l) => [l.link, l.keyid ? `${l.keyid.slice(0, 19)}…` : '-', l.time ?? '-', l.ok ? `ok${l.summary ? `: ${l.summary}` : ''}` : `BROKEN: ${l.reason ?? ''}`]);
  return [`evidence chain of ${image}`, table(['link', 'signer', 'time', 'result'], rows), r.ok ? 'verified' : `NOT verified: ${brokenLink(r.firstBroken!)}`].join('\n');
}

export const verifyCommand: Command = {
  name: 'verify',
  summary: "verify an image's signed evidence chain (provenance, SBOM, scan, policy verdict, approvals, rollouts)",
  usage: verifyUsage,
  async run(argv) {
    const args = parseCommandArgs('verify', argv, { env: { type: 'string' }, key: { type: 'string', multiple: true }, bundle: { type: 'string' }, ...jsonFlag }, verifySchema);
    const config = loadConfig();
    const image = args.positionals[0];
    const pems = await trustedPems(args.key, config.dirs.keys);
    const { result } = await verifyImage(image, { ...(args.env ? { env: args.env } : {}), pems, ...(args.bundle ? { bundle: args.bundle } : {}), registry: config.registry });
    if (args.json) printJson({ image, verified: result.ok, ...result });
    else process.stdout.write(`${renderChain(image, result)}\n`);
    if (!result.ok) throw new ExitError(EXIT.blockedByPolicy, `airlock verify: ${image} is not verified: ${brokenLink(result.firstBroken!)}`);
  },
};

export const evidenceCommand: Command = {
  name: 'evidence',
  summary: "export an image's evidence chain for auditors (envelopes, SBOM, keys, verify commands)",
  usage: exportUsage,
  async run(argv) {
    const args = parseCommandArgs('evidence', argv, { out: { type: 'string' }, key: { type: 'string', multiple: true } }, exportSchema);
    const config = loadConfig();
    const image = args.positionals[1];
    const pems = await trustedPems(args.key, config.dirs.keys);
    const { result, envelopes } = await verifyImage(image, { pems, registry: config.registry });
    if (!result.ok) throw new ExitError(EXIT.blockedByPolicy, `airlock evidence export: ${image} is not verified: ${brokenLink(result.firstBroken!)}`);
    await mkdir(args.out, { recursive: true });
    const files: string[] = [];
    for (const [i, envelope] of envelopes.entries()) {
      const link = result.links.find((l) => l.index === i)?.link ?? 'unknown';
      const name = `${String(i + 1).padStart(2, '0')}-${link}.dsse.json`;
      await writeFile(join(args.out, name), `${JSON.stringify(envelope, null, 2)}\n`);
      files.push(name);
      if (link === 'sbom') {
        const statement = JSON.parse(Buffer.from(fromBase64((envelope as { payload: string }).payload)).toString('utf8')) as { predicate: unknown };
        await writeFile(join(args.out, 'sbom.cdx.json'), `${JSON.stringify(statement.predicate, null, 2)}\n`);
      }
    }
    const keyFiles = pems.map((_, i) => `worker-${i + 1}.pub.pem`);
    await Promise.all(pems.map((pem, i) => writeFile(join(args.out, keyFiles[i]!), pem)));
    await writeFile(join(args.out, 'README.md'), auditorReadme(image, files, keyFiles));
    progress(`exported ${files.length} envelopes of ${image} to ${args.out}`);
  },
};

function auditorReadme(image: string, files: string[], keyFiles: string[]): string {
  const types = [...new Set(Object.values(LINKS).map((l) => l.predicateType))];
  return `# Evidence chain of ${image}

Exported by \`airlock evidence export\`. Each \`*.dsse.json\` is a DSSE envelope (payload type
application/vnd.in-toto+json) holding an in-toto Statement v1 whose subject is the image digest, signed
with the ECDSA P-256 key of an airlock worker (public keys: ${keyFiles.join(', ')}).

Files: ${files.join(', ')}${files.some((f) => f.includes('sbom')) ? ', sbom.cdx.json (the CycloneDX SBOM)' : ''}.

## Verify with airlock (offline: nothing but this directory)

    airlock verify ${image} --bundle . ${keyFiles.map((k) => `--key ${k}`).join(' ')} [--env <environment>]

## Verify with the official cosign (reads the attestations next to the image in its registry)

${types.map((t) => `    cosign verify-attestation --key ${keyFiles[0]} --insecure-ignore-tlog --allow-http-registry --type ${t} ${image}`).join('\n')}

The predicate types and what each link proves are described in airlock's docs/evidence.md.
`;
}
