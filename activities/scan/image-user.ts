import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { needsPasswd, resolveUid, userPart, type ImageUser } from '../../model/image-user';
import { InvalidInputError } from '../../model/parse';
import type { StageHooks } from '../shared';
import { RegistryClient, type Layer } from '../build/registry';
import { AirlockError, RegistryError } from '../errors';
import { normalizeTarPath, readTar, type TarEntry } from './layer-tar';

const PINNED = /^([^/@\s]+)\/([^@\s]+)@(sha256:[0-9a-f]{64})$/;

/** `host[:port]/repository@sha256:...` in parts; the registry must be named (the user is read from it). */
export function splitPinned(image: string): { registry: string; repository: string; digest: string } {
  const m = PINNED.exec(image);
  if (!m || !/[.:]|^localhost$/.test(m[1]!))
    throw new InvalidInputError('image', [`${image}: must name its registry and be pinned by digest (host:port/repository@sha256:<64 hex>)`]);
  return { registry: m[1]!, repository: m[2]!, digest: m[3]! };
}

export type FileInImage = { kind: 'file'; content: Buffer } | { kind: 'absent' | 'unsupported'; why: string };

const TYPES: Record<string, string> = { '1': 'a hard link', '2': 'a symlink', '3': 'a device', '4': 'a device', '5': 'a directory', '6': 'a FIFO' };
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const parent = (p: string) => p.split('/').slice(0, -1).join('/');
const base = (p: string) => p.split('/').pop()!;

class UnreadableLayer extends Error {}

type Blobs = Pick<RegistryClient, 'blobStream'>;

/** Reads one layer blob (gzip or plain tar), checking its digest; `want` picks the bodies to keep. */
async function readLayer(client: Blobs, repository: string, layer: Layer, want: (path: string) => boolean, visit: (e: TarEntry) => void): Promise<void> {
  if (!/gzip|tar$/.test(layer.mediaType) || /zstd/.test(layer.mediaType)) throw new UnreadableLayer(`layer ${layer.digest} has media type ${layer.mediaType || '(none)'}, which airlock does not read`);
  const raw = await client.blobStream(repository, layer.digest);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const read = (source: AsyncIterable<Buffer>) => readTar(source, want, visit);
  try {
    if (/gzip/.test(layer.mediaType)) await pipeline(raw, tap, createGunzip(), read);
    else await pipeline(raw, tap, read);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    const e = err as Error & { code?: string };
    if (e.message.startsWith('tar:') || e.code?.startsWith('Z_')) throw new UnreadableLayer(`layer ${layer.digest} is not a readable tar (${e.message})`);
    throw new RegistryError(`reading layer ${layer.digest} of ${repository} failed: ${e.message}`, { layer: layer.digest });
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== layer.digest) throw new RegistryError(`layer ${layer.digest} of ${repository} arrived with digest ${actual}: refused`, { expected: layer.digest, actual });
}

type Outcome = FileInImage | 'lower';

/** What one layer says about a path: the file, its removal, or nothing (`lower`: look further down). */
async function layerOutcome(client: Blobs, repository: string, layer: Layer, path: string): Promise<Outcome> {
  const ancestors = path.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/')); // etc, etc/x...
  const dirs = ['', ...ancestors];
  let hit: TarEntry | undefined;
  let replaced: TarEntry | undefined;
  let hidden: string | undefined;
  try {
    await readLayer(
      client,
      repository,
      layer,
      (p) => p === path,
      (e) => {
        if (e.path === path) hit = e;
        else if (ancestors.includes(e.path) && e.type !== '5') replaced = e;
        else if ([path, ...ancestors].some((p) => e.path === join(parent(p), `.wh.${base(p)}`))) hidden = 'is removed by a layer (whiteout)';
        else if (dirs.some((d) => e.path === join(d, '.wh..wh..opq'))) hidden ??= 'is hidden by an opaque directory in a layer';
      },
    );
    if (hit?.type === '1') {
      // a hard link to a file of the same layer: read that file's body instead
      const to = normalizeTarPath(hit.linkPath);
      let linked: Buffer | undefined;
      await readLayer(client, repository, layer, (p) => p === to, (e) => {
        if (e.path === to && e.body) linked = e.body;
      });
      if (linked) return { kind: 'file', content: linked };
    }
  } catch (err) {
    if (err instanceof UnreadableLayer) return { kind: 'unsupported', why: err.message };
    throw err;
  }
  if (hit) return hit.body ? { kind: 'file', content: hit.body } : { kind: 'unsupported', why: `is ${TYPES[hit.type] ?? `a tar entry of type ${hit.type}`}${hit.linkPath ? ` to ${hit.linkPath}` : ''}` };
  if (replaced) return { kind: 'unsupported', why: `lies under /${replaced.path}, which is ${TYPES[replaced.type] ?? 'not a directory'}${replaced.linkPath ? ` to ${replaced.linkPath}` : ''}` };
  if (hidden) return { kind: 'absent', why: hidden };
  return 'lower';
}

// Layers are content-addressed: what a layer (checked against its digest) says about a path never changes.
// Remembered per process, so the base layer every image shares is read once.
const outcomes = new Map<string, Outcome>();
const MAX_OUTCOMES = 512;

/**
 * A regular file of the image's filesystem, read from its layers top down the way an overlay mount sees
 * it: the topmost layer that has the path wins; a whiteout (`.wh.<name>`) or an opaque directory above
 * it hides it. A path that is, or lies under, a link is not followed: `unsupported`, with why.
 */
export async function fileInImage(client: Blobs, repository: string, layers: Layer[], target: string, hooks: StageHooks = {}): Promise<FileInImage> {
  const path = normalizeTarPath(target);
  for (const layer of [...layers].reverse()) {
    const key = `${layer.digest} ${path}`;
    let outcome = outcomes.get(key);
    if (!outcome) {
      hooks.heartbeat?.({ phase: 'image user', layer: layer.digest });
      outcome = await layerOutcome(client, repository, layer, path);
      if (outcomes.size >= MAX_OUTCOMES) outcomes.delete(outcomes.keys().next().value!);
      outcomes.set(key, outcome);
    }
    if (outcome !== 'lower') return outcome;
  }
  return { kind: 'absent', why: 'is not in the image' };
}

/**
 * The user a pinned image runs as, from what the worker reads and checks itself: the image config and
 * layers in the registry, each checked against its digest (not Trivy's DS002 check, which can miss
 * `USER root`: see docs/policy.md). A name is resolved through the image's /etc/passwd like the engine does.
 */
export async function readImageUser(image: string, hooks: StageHooks = {}): Promise<ImageUser> {
  const { registry, repository, digest } = splitPinned(image);
  const client = new RegistryClient(registry);
  const pinned = await client.pinnedImage(repository, digest);
  if (!pinned) throw new RegistryError(`registry ${registry} does not have ${repository}@${digest}`, { image });
  const user = pinned.config.config?.User ?? '';
  const known = { user, configDigest: pinned.configDigest };
  if (!needsPasswd(user)) return { ...known, uid: resolveUid(user, undefined)! };
  const passwd = await fileInImage(client, repository, pinned.layers, 'etc/passwd', hooks);
  if (passwd.kind !== 'file') return { ...known, unresolved: `/etc/passwd ${passwd.why}` };
  const uid = resolveUid(user, passwd.content.toString('utf8'));
  return uid === undefined ? { ...known, unresolved: `${userPart(user)} is not in the image's /etc/passwd` } : { ...known, uid };
}
