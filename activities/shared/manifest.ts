import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { MANIFEST_FILE, manifestSchema, type Manifest } from '../../model/manifest';
import { InvalidInputError, parseWith } from '../../model/parse';
import { serviceSettingsOf, type ServiceSettings } from '../../model/deploy';
import { promotionPlan } from '../../model/promotion';
import { pathInRepo, readAtCommit } from './source';
import { parseYaml } from './yaml';

/** Parses the text of an airlock.yaml; every problem is a `path: message` line naming `source`. */
export function parseManifest(text: string, source: string): Manifest {
  return parseWith(manifestSchema, parseYaml(text, source), source);
}

export const missingManifest = (where: string): InvalidInputError =>
  new InvalidInputError(where, [`${MANIFEST_FILE}: not found (every service directory needs one; see README "Service manifest")`]);

/** Reads `<dir>/airlock.yaml` from the working tree. */
export async function loadManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR')
      throw missingManifest(`service directory ${dir}`);
    throw err;
  }
  return parseManifest(text, file);
}

/**
 * The airlock.yaml of `serviceDir` (relative to the repository root, '' or '.' for the root) as committed
 * at `commit`, not the work tree; undefined when the commit has none (each caller says what is missing).
 * `source` names the file in later errors.
 */
export async function manifestAtCommit(
  repo: string,
  commit: string,
  serviceDir: string,
): Promise<{ manifest: Manifest; path: string; source: string } | undefined> {
  const path = posix.join(serviceDir || '.', MANIFEST_FILE);
  const text = await readAtCommit(repo, commit, path);
  if (!text) return undefined;
  const source = `${path} at ${commit.slice(0, 12)}`;
  return { manifest: parseManifest(text.toString('utf8'), source), path, source };
}

/** manifestAtCommit for callers that cannot go on without it: a missing file is bad input. */
export async function requireManifestAtCommit(repo: string, commit: string, serviceDir: string): Promise<{ manifest: Manifest; path: string; source: string }> {
  const found = await manifestAtCommit(repo, commit, serviceDir);
  if (!found) throw missingManifest(`service directory ${serviceDir || '.'} at ${commit.slice(0, 12)}`);
  return found;
}

/**
 * What the pipeline needs from airlock.yaml at `commit`, read once: the build settings and `environment`'s
 * deploy target; with `promotion`, also the environments up to `environment` (model/promotion.ts), their
 * order, soaks and approval rules taken from airlock.yaml at `promotion.anchor` (the environment's stable
 * release), never weakened by the one at `commit`.
 */
export async function serviceSettingsAtCommit(
  repo: string,
  commit: string,
  serviceDir: string,
  service: string,
  environment: string,
  promotion?: { anchor: string | null },
): Promise<ServiceSettings> {
  const dir = await pathInRepo(repo, serviceDir);
  const { manifest, source } = await requireManifestAtCommit(repo, commit, dir);
  const settings = serviceSettingsOf(manifest, service, environment, source);
  if (!promotion) return settings;
  // the anchor's airlock.yaml passed the gates of its time: one that no longer parses or names another service counts as none
  const anchored = promotion.anchor ? await manifestAtCommit(repo, promotion.anchor, dir).catch(() => undefined) : undefined;
  const anchor = anchored?.manifest.service === service ? anchored : undefined;
  const { plan, problem } = promotionPlan({ head: manifest, headSource: source, ...(anchor ? { anchor: anchor.manifest, anchorSource: anchor.source } : {}), to: environment });
  if (problem) throw new InvalidInputError(source, [problem]);
  return plan ? { ...settings, promotion: plan } : settings;
}
