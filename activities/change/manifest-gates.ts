import { posix } from 'node:path';
import type { GateFile } from '../../model/change';
import { MANIFEST_FILE, type Manifest } from '../../model/manifest';
import { manifestWeakenings, weakeningText } from '../../model/manifest-weakening';
import { parseManifest, readObjects } from '../shared';
import { NULL_ID, type RawEntry } from './raw-diff';

const MANIFEST_NAMES = new Set([MANIFEST_FILE, 'airlock.yml']);

/**
 * Every airlock.yaml the change edits (modified or renamed) whose rollout or canary analysis it weakens
 * compared with the same file at the base commit (model/manifest-weakening.ts): a gate file whose reason
 * names each weakened setting. A manifest that does not parse on either side is not compared (at head the
 * pipeline's readManifest refuses it; airlock.yaml stays a gate file either way).
 */
export async function weakenedManifests(repo: string, entries: RawEntry[]): Promise<GateFile[]> {
  const edited = entries.filter(
    (e) => MANIFEST_NAMES.has(posix.basename(e.path)) && !NULL_ID.test(e.oldId) && !NULL_ID.test(e.newId) && e.oldId !== e.newId && !e.binary,
  );
  if (edited.length === 0) return [];
  const blobs = await readObjects(repo, edited.flatMap((e) => [e.oldId, e.newId]));
  const out: GateFile[] = [];
  for (const e of edited) {
    const base = parsed(blobs.get(e.oldId), `${e.previousPath ?? e.path} at base`);
    const head = parsed(blobs.get(e.newId), `${e.path} at head`);
    if (!base || !head) continue;
    const weakened = manifestWeakenings(base, head);
    if (weakened.length === 0) continue;
    out.push({ path: e.path, reason: `weakens the rollout or canary analysis: ${weakened.map(weakeningText).join('; ')}`, weakens: weakened.map(weakeningText) });
  }
  return out;
}

function parsed(blob: Buffer | undefined, source: string): Manifest | undefined {
  if (!blob) return undefined;
  try {
    return parseManifest(blob.toString('utf8'), source);
  } catch {
    return undefined;
  }
}
