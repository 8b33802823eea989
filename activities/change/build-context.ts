import { posix } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BuildPlacement } from '../../model/change';
import { MANIFEST_FILE } from '../../model/manifest';
import { dockerignorePathspecs } from '../build/dockerfile';
import { git, readObjects } from '../shared';
import type { RawEntry } from './raw-diff';

/**
 * The build contexts of a repository at a commit: for every airlock.yaml, the directory `airlock build`
 * archives (`build.context` under the service directory) minus its .dockerignore, as the same git pathspecs
 * the build hands to `git archive` (activities/build/build-image.ts). What is in a build context can ship;
 * what is outside every one cannot. A repository without any airlock.yaml is one build context as a whole.
 */
export interface BuildContext {
  /** Directory in the repository, '' for its root. */
  dir: string;
  /** Pathspecs (from the repository root) of the files the build leaves out. */
  excludes: string[];
}

/** Where each changed file stands to the build contexts of base and head, and the contexts' .dockerignore paths. */
export interface BuildContexts {
  placement: (entry: RawEntry) => BuildPlacement;
  /** Context directories at base and head (`.` for the root), sorted. */
  dirs: string[];
  /** `<dir>/.dockerignore` of every context: changing one changes what ships without a diff showing it. */
  ignoreFiles: Set<string>;
}

export async function buildContexts(repo: string, base: string, head: string): Promise<BuildContexts> {
  const [atBase, atHead] = await Promise.all([contextsAt(repo, base), contextsAt(repo, head)]);
  const [inBase, inHead] = await Promise.all([changedInside(repo, base, head, atBase), changedInside(repo, base, head, atHead)]);
  const all = [...atBase, ...atHead];
  return {
    placement: (entry) => {
      const before = entry.previousPath ?? entry.path;
      const now = inHead.has(entry.path) || inBase.has(entry.path);
      if (before === entry.path) return now ? 'inside' : 'outside';
      const was = inBase.has(before);
      if (inHead.has(entry.path)) return was ? 'inside' : 'entered';
      return was && entry.status === 'renamed' ? 'left' : 'outside';
    },
    dirs: [...new Set(all.map((c) => c.dir || '.'))].sort(),
    ignoreFiles: new Set(all.map((c) => posix.join(c.dir, '.dockerignore'))),
  };
}

/** The build contexts at `commit`, read from the commit (never the work tree). */
export async function contextsAt(repo: string, commit: string): Promise<BuildContext[]> {
  const listing = await git(repo, ['ls-tree', '-r', '-z', '--full-tree', commit]);
  const blobs = new Map<string, string>();
  for (const record of listing.split('\0')) {
    const tab = record.indexOf('\t');
    const file = record.slice(tab + 1);
    const name = posix.basename(file);
    if (tab < 0 || (name !== MANIFEST_FILE && name !== '.dockerignore')) continue;
    const [, type, id] = record.slice(0, tab).split(' ');
    if (type === 'blob' && id) blobs.set(file, id);
  }
  const manifests = [...blobs.keys()].filter((f) => posix.basename(f) === MANIFEST_FILE).sort();
  if (manifests.length === 0) return [{ dir: '', excludes: [] }];
  const texts = await readObjects(repo, [...blobs.values()]);
  const text = (file: string): string | undefined => {
    const id = blobs.get(file);
    return id === undefined ? undefined : texts.get(id)?.toString('utf8');
  };
  return manifests.map((manifest) => {
    const dir = contextDir(posix.dirname(manifest), text(manifest) ?? '');
    const ignore = text(posix.join(dir, '.dockerignore'));
    return { dir, excludes: ignore === undefined ? [] : rootedExcludes(dir, ignore) };
  });
}

/**
 * The context directory a manifest names, read leniently: a manifest that does not parse means its own
 * directory, a context that leaves the repository means all of it (the build refuses both; the change that
 * wrote them is a gate change anyway).
 */
export function contextDir(serviceDir: string, manifest: string): string {
  let context: unknown;
  try {
    context = (parseYaml(manifest) as { build?: { context?: unknown } } | null)?.build?.context;
  } catch {
    context = undefined;
  }
  const relative = typeof context === 'string' && context.trim() !== '' ? context.trim() : '.';
  if (relative.startsWith('/')) return '';
  const dir = posix.normalize(posix.join(serviceDir === '.' ? '' : serviceDir, relative));
  return dir === '.' || dir === '..' || dir.startsWith('../') ? '' : dir.replace(/\/+$/, '');
}

/** The build's .dockerignore pathspecs (relative to the context) as pathspecs from the repository root. */
export function rootedExcludes(dir: string, dockerignore: string): string[] {
  const prefix = dir ? `${dir.replace(/[*?[\]\\]/g, '\\$&')}/` : '';
  return dockerignorePathspecs(dockerignore).pathspecs.map((spec) => `:(top,exclude,glob)${prefix}${spec.replace(/^:\(exclude,glob\)/, '')}`);
}

/** Paths (either side) of the change base..head that the contexts hold, matched by git itself. */
async function changedInside(repo: string, base: string, head: string, contexts: BuildContext[]): Promise<Set<string>> {
  const inside = new Set<string>();
  const seen = new Set<string>();
  for (const c of contexts) {
    const specs = [c.dir ? `:(top,literal)${c.dir}` : ':(top)', ...c.excludes];
    const key = specs.join('\0');
    if (seen.has(key)) continue;
    seen.add(key);
    const out = await git(repo, [
      'diff', '--no-color', '--no-ext-diff', '--no-textconv', '--no-relative', '--ignore-submodules=none', '--no-renames', '--name-only', '-z',
      base, head, '--', ...specs,
    ]);
    for (const file of out.split('\0')) if (file) inside.add(file);
  }
  return inside;
}
