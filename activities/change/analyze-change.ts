import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EMPTY_TREE } from '../../model/anchor';
import { GATE_FILE_GLOBS, type BuildPlacement, type ChangeAnalysis, type ChangedFile, type GateFile } from '../../model/change';
import { globToRegExp } from '../risk/glob';
import { analyzeFile, type FileAnalysis } from './analyze-file';
import { buildContexts, type BuildContexts } from './build-context';
import { weakenedManifests } from './manifest-gates';
import { where } from './file-context';
import { git, gitRaw, readObjects } from '../shared';
import { isInertLanguage, languageOf } from './language';
import { parsePatch } from './patch';
import { NULL_ID, isSubmodule, parseRawNumstat, type RawEntry } from './raw-diff';
import { resolveRange, type RangeInput } from './revisions';
import { FUNCNAME_ATTRIBUTES } from './symbols-lite';

export interface AnalyzeChangeInput extends RangeInput {
  /**
   * Path of the policy file from the repository root, when it is not one of the built-in names: a change to
   * it is a gate change like a change to airlock.policy.yaml.
   */
  policyPath?: string;
}

/** Options every diff shares, so the raw listing and the patch pair files the same way whatever the user's git config. */
export const DIFF_OPTIONS = ['--no-color', '--no-ext-diff', '--no-textconv', '--no-relative', '--submodule=short', '--ignore-submodules=none', '-M'];
const MAX_HOSTS_CHECKED = 50;
const GATE_FILES = GATE_FILE_GLOBS.map(globToRegExp);
const isGateFile = (file: string): boolean => GATE_FILES.some((re) => re.test(file));

/**
 * Analyzes the change from `base` to `head` of a git repository: the tree difference between the two
 * commits (what deploying head in place of base changes), file by file. Every file inside a build context
 * (build-context.ts) is read and judged by content; only files outside all of them can be inert. Read-only:
 * runs git, never writes to the repository.
 */
export async function analyzeChange(input: AnalyzeChangeInput): Promise<ChangeAnalysis> {
  const range = await resolveRange(input);
  const { repo } = range;
  const revs = [range.base.sha, range.head.sha, '--'];
  const funcnames = await funcnameAttributes();
  const attributes = funcnames ? ['-c', `core.attributesFile=${funcnames}`] : [];
  const [raw, patch, log] = await Promise.all([
    git(repo, ['diff', ...DIFF_OPTIONS, '--raw', '--numstat', '-z', '--no-abbrev', ...revs]),
    git(repo, ['diff', ...DIFF_OPTIONS, '-p', '-U0', '--inter-hunk-context=0', '--src-prefix=a/', '--dst-prefix=b/', ...revs], attributes),
    gitRaw(repo, ['log', '--no-merges', '--format=%ae', range.base.sha === EMPTY_TREE ? range.head.sha : `${range.base.sha}..${range.head.sha}`, '--']),
  ]);
  const entries = parseRawNumstat(raw);
  const patches = parsePatch(patch);
  const contexts = await buildContexts(repo, range.base.sha, range.head.sha);
  const placements = new Map(entries.map((e) => [e, contexts.placement(e)]));
  const texts = await readTexts(repo, entries, placements);

  const analyses: FileAnalysis[] = entries.map((entry) =>
    analyzeFile({ entry, patch: patches.get(entry.path), oldText: texts.get(entry.oldId), newText: texts.get(entry.newId), buildContext: placements.get(entry) }),
  );
  await addExternalHosts(repo, range.base.sha, analyses);

  const files = analyses.map((a) => a.file);
  const gateFiles = [...moreGateFiles(files, contexts, input.policyPath), ...(await weakenedManifests(repo, entries))];
  return {
    repo,
    base: range.base,
    head: range.head,
    files,
    authors: log.code === 0 ? [...new Set(log.stdout.split('\n').map((s) => s.trim()).filter(Boolean))].sort() : [],
    touchesGates: gateFiles.length > 0 || files.some((f) => isGateFile(f.path) || (f.previousPath !== undefined && isGateFile(f.previousPath))),
    gateFiles,
    buildContexts: contexts.dirs,
    stats: {
      files: files.length,
      additions: sum(files, (f) => f.additions),
      deletions: sum(files, (f) => f.deletions),
      binary: files.filter((f) => f.binary).length,
      renamed: files.filter((f) => f.status === 'renamed').length,
    },
  };
}

/**
 * Gate files beyond the built-in globs that the change touches: the policy file at a custom path, and the
 * .dockerignore of a build context (it moves files in or out of what ships without the diff showing them).
 */
function moreGateFiles(files: ChangedFile[], contexts: BuildContexts, policyPath: string | undefined): GateFile[] {
  const policy = policyPath ? path.posix.normalize(policyPath.replace(/^\.\//, '')) : undefined;
  const out: GateFile[] = [];
  for (const f of files) {
    for (const p of f.previousPath !== undefined ? [f.path, f.previousPath] : [f.path]) {
      if (isGateFile(p)) continue;
      if (p === policy) out.push({ path: f.path, reason: `the policy file (${p}): it decides how changes are judged` });
      else if (contexts.ignoreFiles.has(p)) out.push({ path: f.path, reason: `the .dockerignore of a build context (${p}): it decides which files ship and are judged by content` });
      else continue;
      break;
    }
  }
  return out;
}

/**
 * Both versions of every text file the detectors read: not binaries, not pure renames (unless they enter
 * or leave a build context), and prose, styles and media only inside a build context.
 */
async function readTexts(repo: string, entries: RawEntry[], placements: Map<RawEntry, BuildPlacement>): Promise<Map<string, string>> {
  const ids: string[] = [];
  for (const e of entries) {
    const placement = placements.get(e) ?? 'inside';
    if (e.binary || isSubmodule(e.oldMode) || isSubmodule(e.newMode) || (placement === 'outside' && isInertLanguage(languageOf(e.path)))) continue;
    const moved = placement === 'entered' || placement === 'left';
    if (!moved && e.additions + e.deletions === 0 && e.status !== 'added' && e.status !== 'deleted') continue;
    for (const id of [e.oldId, e.newId]) if (!NULL_ID.test(id)) ids.push(id);
  }
  const blobs = await readObjects(repo, ids);
  return new Map([...blobs].map(([id, buf]) => [id, buf.toString('utf8')]));
}

/**
 * A host in an added URL that the base commit names nowhere (one `git grep` over the base tree for all
 * candidates) is a new outside system: an `external-integration` finding, flagged as a webhook when the
 * line says so.
 */
async function addExternalHosts(repo: string, base: string, analyses: FileAnalysis[]): Promise<void> {
  const candidates = [...new Set(analyses.flatMap((a) => a.newHosts.map((h) => h.host)))].sort().slice(0, MAX_HOSTS_CHECKED);
  if (candidates.length === 0) return;
  // `:(top)`: the whole tree, also when --repo is a subdirectory of the repository (git grep defaults to the cwd).
  const grep = await gitRaw(repo, ['grep', '-o', '-h', '-I', '-F', ...candidates.flatMap((h) => ['-e', h]), base, '--', ':(top)']);
  const known = new Set(grep.code === 0 ? grep.stdout.split('\n').map((s) => s.trim().toLowerCase()) : []);
  for (const a of analyses) {
    for (const use of a.newHosts) {
      if (known.has(use.host)) continue; // hosts past the check limit count as new: unknown is not safe
      const what = use.webhook ? 'new webhook to outside host' : 'new outside host';
      addFinding(a.file, { kind: 'external-integration', detail: `${what} ${use.host}: ${where(use.line)}`, line: use.line.line, symbol: use.line.symbol });
    }
  }
}

function addFinding(file: ChangedFile, finding: ChangedFile['findings'][number]): void {
  if (file.findings.filter((f) => f.kind === finding.kind).length >= 5) file.notes.push(`not listed: ${finding.detail}`);
  else file.findings.push(finding);
}

let attributesFile: string | undefined;

/**
 * A gitattributes file that turns on git's funcname patterns per language (used as core.attributesFile).
 * Without it (temp dir not writable) hunk contexts fall back to git's default heuristic.
 */
async function funcnameAttributes(): Promise<string | undefined> {
  if (attributesFile) return attributesFile;
  const digest = createHash('sha256').update(FUNCNAME_ATTRIBUTES).digest('hex').slice(0, 12);
  const file = path.join(os.tmpdir(), `airlock-funcname-${digest}.gitattributes`);
  try {
    await writeFile(file, `${FUNCNAME_ATTRIBUTES}\n`);
    attributesFile = file;
    return file;
  } catch {
    return undefined;
  }
}

const sum = <T>(items: T[], f: (t: T) => number): number => items.reduce((n, t) => n + f(t), 0);
