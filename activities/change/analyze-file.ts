import type { BuildPlacement, ChangedFile, Finding, SymbolChange } from '../../model/change';
import { dataFindings } from './detect-data';
import { dependencyFindings, isDependencyFile } from './detect-dependencies';
import { execFindings } from './detect-exec';
import { hostsIn, networkFindings, type HostUse } from './detect-network';
import { permissionFindings } from './detect-permissions';
import { personalDataFindings } from './detect-personal-data';
import { sensitiveFindings } from './detect-sensitive';
import { embeddedCode } from './embedded-code';
import { changedLines, where, type FileContext } from './file-context';
import { isInertLanguage, isProse, isScript, isTemplate, languageOf } from './language';
import type { FilePatch } from './patch';
import { isSubmodule, type RawEntry } from './raw-diff';
import { compareDeclarations, enclosingDeclaration, tsDeclarations, type Declaration } from './symbols-ts';
import { contextName, definitionName, hasPatterns, patternSymbols } from './symbols-lite';

/** Larger sources are not parsed (generated or minified code); their lines are still read. */
export const MAX_PARSE_BYTES = 1024 * 1024;
const MAX_SYMBOLS = 60;
const MAX_FINDINGS_PER_KIND = 5;

export interface FileInput {
  entry: RawEntry;
  patch?: FilePatch;
  oldText?: string;
  newText?: string;
  /** Where the file stands to the build contexts (build-context.ts); absent means inside one. */
  buildContext?: BuildPlacement;
}

export interface FileAnalysis {
  file: ChangedFile;
  /** Outside hosts in added lines that neither the removed lines nor the base version of the file name. */
  newHosts: HostUse[];
}

/**
 * Everything the analyzer can tell about one changed file from its patch and its two versions. Pure.
 * Inside a build context every text file is read, whatever its path: templates are code, prose is judged by
 * the code embedded in it. A file renamed into a build context is judged whole, as if added (its lines were
 * never judged as shipping code); one renamed out of every build context is judged as removed.
 */
export function analyzeFile(input: FileInput): FileAnalysis {
  const { entry } = input;
  const placement = input.buildContext ?? 'inside';
  const { patch, oldText, newText, status } = asJudged(input, placement);
  const language = languageOf(entry.path);
  const file: ChangedFile = {
    path: entry.path,
    ...(entry.previousPath !== undefined && entry.previousPath !== entry.path ? { previousPath: entry.previousPath } : {}),
    status: entry.status,
    additions: entry.additions,
    deletions: entry.deletions,
    binary: entry.binary,
    language,
    symbolMethod: 'none',
    symbols: [],
    findings: [],
    notes: [],
    buildContext: placement,
  };
  if (isSubmodule(entry.oldMode) || isSubmodule(entry.newMode)) {
    file.language = 'submodule';
    file.findings.push({ kind: 'dependencies', detail: `submodule ${entry.path} moved ${entry.oldId.slice(0, 12)} -> ${entry.newId.slice(0, 12)}` });
    return { file, newHosts: [] };
  }
  if (entry.binary || (placement === 'outside' && isInertLanguage(language))) return { file, newHosts: [] };
  if (placement === 'entered') file.notes.push(`${entry.status} into a build context from ${entry.previousPath ?? '?'}: judged whole, as if added`);
  if (placement === 'left') file.notes.push(`renamed out of every build context from ${entry.previousPath ?? '?'}: judged as removed`);

  const { symbols, symbolAt, method } = findSymbols(file, status, language, patch, oldText, newText);
  file.symbolMethod = method;
  file.symbols = symbols.slice(0, MAX_SYMBOLS);
  if (symbols.length > MAX_SYMBOLS) file.notes.push(`${symbols.length - MAX_SYMBOLS} more symbol changes not listed`);

  let lines = changedLines(language, patch, { oldText, newText }, symbolAt);
  if (placement !== 'outside' && isTemplate(language)) file.codeEvidence = 'HTML template: rendered by the service, its tags run code';
  if (placement !== 'outside' && (isProse(language) || language === 'image')) {
    lines = embeddedCode(lines, { oldText, newText });
    if (lines[0]) file.codeEvidence = `code embedded in ${language === 'image' ? 'markup' : 'prose'}: ${where(lines[0])}`;
  }
  const ctx: FileContext = { path: entry.path, language, lines, oldText, newText, symbols };
  if (isDependencyFile(entry.path, language)) {
    file.findings = capFindings(dependencyFindings(ctx), file.notes);
    return { file, newHosts: [] };
  }
  const findings = [...sensitiveFindings(ctx), ...permissionFindings(ctx), ...networkFindings(ctx), ...execFindings(ctx), ...dataFindings(ctx)];
  if (language === 'dockerfile') findings.push(...dependencyFindings(ctx));
  findings.push(...personalDataFindings(ctx, hostsIn(ctx, 'added')));
  file.findings = capFindings(findings, file.notes);

  const removedHosts = new Set(hostsIn(ctx, 'removed').map((h) => h.host));
  const seen = new Set<string>();
  const newHosts = hostsIn(ctx, 'added').filter((h) => {
    if (removedHosts.has(h.host) || seen.has(h.host) || (oldText ?? '').includes(h.host)) return false;
    seen.add(h.host);
    return true;
  });
  return { file, newHosts };
}

interface FoundSymbols {
  symbols: SymbolChange[];
  symbolAt: (side: 'added' | 'removed', line: number) => string | undefined;
  method: ChangedFile['symbolMethod'];
}

/**
 * The patch and versions the detectors read: the diff itself, or for a file that enters (leaves) the build
 * contexts every line of its new (old) version as added (removed).
 */
function asJudged({ entry, patch, oldText, newText }: FileInput, placement: BuildPlacement): { patch?: FilePatch; oldText?: string; newText?: string; status: ChangedFile['status'] } {
  if (placement === 'entered' && newText !== undefined) return { patch: whole(newText, 'added'), newText, status: 'added' };
  if (placement === 'left' && oldText !== undefined) return { patch: whole(oldText, 'removed'), oldText, status: 'deleted' };
  return { patch, oldText, newText, status: entry.status };
}

function whole(text: string, side: 'added' | 'removed'): FilePatch {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const numbered = lines.map((t, i) => ({ line: i + 1, text: t }));
  return { hunks: [{ oldStart: 1, newStart: 1, context: '', added: side === 'added' ? numbered : [], removed: side === 'removed' ? numbered : [] }] };
}

function findSymbols(file: ChangedFile, status: ChangedFile['status'], language: string, patch: FilePatch | undefined, oldText?: string, newText?: string): FoundSymbols {
  const none: FoundSymbols = { symbols: [], symbolAt: () => undefined, method: 'none' };
  if (isScript(language)) {
    const needOld = status !== 'added';
    const needNew = status !== 'deleted';
    if ((needOld && oldText === undefined) || (needNew && newText === undefined)) {
      file.notes.push('source not available: symbols not compared');
    } else if ((oldText?.length ?? 0) > MAX_PARSE_BYTES || (newText?.length ?? 0) > MAX_PARSE_BYTES) {
      file.notes.push(`larger than ${MAX_PARSE_BYTES / 1024 / 1024} MB: not parsed`);
    } else {
      const before: Declaration[] = needOld ? tsDeclarations(oldText ?? '', file.previousPath ?? file.path) : [];
      const after: Declaration[] = needNew ? tsDeclarations(newText ?? '', file.path) : [];
      return {
        symbols: compareDeclarations(before, after),
        symbolAt: (side, line) => enclosingDeclaration(side === 'added' ? after : before, line)?.name,
        method: 'typescript',
      };
    }
  }
  if (!hasPatterns(language) || !patch) return none;
  const at = { added: new Map<number, string>(), removed: new Map<number, string>() };
  for (const hunk of patch.hunks) {
    const ctxName = contextName(language, hunk);
    for (const side of ['added', 'removed'] as const) {
      let current = ctxName;
      for (const l of hunk[side]) {
        current = definitionName(language, l.text) ?? current;
        if (current) at[side].set(l.line, current);
      }
    }
  }
  return { symbols: patternSymbols(language, patch.hunks), symbolAt: (side, line) => at[side].get(line), method: 'patterns' };
}

/** Drops repeated findings and keeps at most a few per kind (the rest are counted in notes). */
function capFindings(findings: Finding[], notes: string[]): Finding[] {
  const seen = new Set<string>();
  const perKind = new Map<string, number>();
  const kept: Finding[] = [];
  let dropped = 0;
  for (const f of findings) {
    const key = `${f.kind}\0${f.detail}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const n = (perKind.get(f.kind) ?? 0) + 1;
    perKind.set(f.kind, n);
    if (n > MAX_FINDINGS_PER_KIND) dropped++;
    else kept.push(f);
  }
  if (dropped) notes.push(`${dropped} more findings not listed`);
  return kept;
}
