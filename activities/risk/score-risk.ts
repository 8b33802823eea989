import { SIGNAL_KINDS, defaultRiskPolicy, type ChangeAnalysis, type ChangedFile, type PathCategory, type RiskPolicy, type SignalKind } from '../../model/change';
import type { RiskAssessment, RiskLevel, RiskSignal } from '../../model/risk';
import { pathClassifier } from './path-rules';
import { SIGNAL_LABELS, reasonText } from './reasons';

/**
 * Categories whose files carry no behaviour when they cannot ship: outside every build context they raise
 * only their own (low) signal, whatever they contain. Inside one they are judged by content like any file.
 */
const INERT: readonly PathCategory[] = ['tests', 'docs', 'styles', 'content'];
/** Categories that make a source file "not application code" (internal tools, settings). */
const LOW: readonly PathCategory[] = ['config', 'tooling'];
/** Path categories that raise their own signal on top of everything else. */
const SENSITIVE: readonly PathCategory[] = [
  'auth', 'payments', 'crypto', 'security-control', 'secrets', 'permissions', 'network', 'infra', 'integration', 'data', 'api',
];
const LEVELS: readonly RiskLevel[] = ['low', 'medium', 'high'];

/**
 * The risk of a change: a pure, deterministic function of the analysis and the policy. Every file is
 * classified by path rules and by what the analyzer found in it; each signal kind present counts once, with
 * its policy weight (size with a share of its weight that grows with the line count), and its reason names
 * the files, functions and lines that raised it. The score is the strongest weight plus `stacking` (0.25)
 * times the others, capped at 100: a change is as risky as its riskiest aspect, and each further aspect adds
 * a little. The level comes from the thresholds, with two floors the policy cannot lower: airlock's own
 * files (and the analysis' further gate files) make a change high, an unclassifiable file makes it at least
 * medium.
 * Path rules never make a file that can ship inert: inside a build context, code (a script, a template, prose
 * with embedded code) is application code wherever it sits, and every file's findings count. Docs, styles,
 * content and tests outside every build context raise nothing else, so a change that only touches them is
 * low at any size.
 */
export function scoreRisk(analysis: ChangeAnalysis, policy: RiskPolicy = defaultRiskPolicy()): RiskAssessment {
  const classify = pathClassifier(policy);
  const found = new Map<SignalKind, Map<string, string[]>>();
  const add = (kind: SignalKind, file: string, detail?: string) => {
    const perFile = found.get(kind) ?? new Map<string, string[]>();
    found.set(kind, perFile);
    const details = perFile.get(file) ?? [];
    perFile.set(file, details);
    if (detail) details.push(detail);
  };

  const categories: Record<string, number> = {};
  const directories = new Set<string>();
  const sizes: { file: string; lines: number }[] = [];
  let symbols = 0;

  const gates = new Map<string, string[]>();
  for (const g of analysis.gateFiles ?? []) gates.set(g.path, [...(gates.get(g.path) ?? []), g.reason]);
  for (const file of analysis.files) {
    const paths = file.previousPath ? [file.path, file.previousPath] : [file.path];
    const perPath = paths.map(classify);
    const cats = new Set(perPath.flatMap((s) => [...s]));
    for (const c of cats) categories[c] = (categories[c] ?? 0) + 1;
    symbols += file.symbols.length;

    if (cats.has('airlock-config')) add('airlock-config', file.path, file.previousPath ? `renamed from ${file.previousPath}` : `${file.status}`);
    for (const gate of gates.get(file.path) ?? []) add('airlock-config', file.path, gate);
    const placement = file.buildContext ?? 'inside';
    const moved = placement === 'entered' || placement === 'left';
    if (file.status === 'renamed' && file.additions + file.deletions === 0 && !moved) {
      add('rename', file.path, `from ${file.previousPath ?? '?'}`);
      continue;
    }
    const inert = perPath.every((s) => INERT.some((c) => s.has(c))) ? INERT.find((c) => cats.has(c)) : undefined;
    if (inert && placement === 'outside') {
      add(inert, file.path, lineCount(file));
      continue;
    }
    // Inside a build context an inert path decides only the signal of a file that is not code.
    const code = cats.has('code') || file.codeEvidence !== undefined;
    const prose = inert !== undefined && !code;

    if (!prose) for (const c of SENSITIVE) if (cats.has(c)) add(c, file.path, `path matches the ${c} rules`);
    const low = LOW.filter((c) => cats.has(c));
    for (const c of low) add(c, file.path, lineCount(file));
    if (low.length === 0 && code) add('code', file.path, codeDetail(file, inert));
    else if (prose) add(inert, file.path, lineCount(file));
    for (const f of file.findings) add(f.kind, file.path, f.detail);
    for (const s of file.symbols) if (s.kind === 'route') add('api', file.path, `route ${s.name} ${s.change}`);
    if (cats.size === 0) add('unknown', file.path, `${file.binary ? 'binary ' : ''}${file.language} file ${file.status}`);

    if (prose) continue; // docs, styles and content count neither for size nor for spread
    if (!file.binary) sizes.push({ file: file.path, lines: file.additions + file.deletions });
    directories.add(file.path.split('/').slice(0, -1).slice(0, 2).join('/') || '.');
  }

  const signals: RiskSignal[] = [];
  for (const kind of SIGNAL_KINDS) {
    const perFile = found.get(kind);
    if (perFile) signals.push({ kind, weight: policy.weights[kind], reason: reasonText(kind, perFile), files: [...perFile.keys()] });
  }
  const weightedLines = sizes.reduce((n, s) => n + s.lines, 0);
  const size = sizeSignal(weightedLines, sizes, policy);
  if (size) signals.push(size);
  if (directories.size >= policy.spread.directories) {
    signals.push({
      kind: 'spread',
      weight: policy.weights.spread,
      reason: `${SIGNAL_LABELS.spread}: ${directories.size} directories touched (threshold ${policy.spread.directories}): ${[...directories].sort().slice(0, 8).join(', ')}${directories.size > 8 ? ', ...' : ''}`,
      files: [],
    });
  }
  signals.sort((a, b) => b.weight - a.weight || SIGNAL_KINDS.indexOf(a.kind as SignalKind) - SIGNAL_KINDS.indexOf(b.kind as SignalKind));

  const [strongest, ...others] = signals;
  const rest = others.reduce((n, s) => n + s.weight, 0);
  let score = Math.min(100, Math.round((strongest?.weight ?? 0) + policy.stacking * rest));
  let formula = strongest ? `${strongest.weight} (${strongest.kind}) + ${policy.stacking} x ${rest} (others) = ${score}` : '0 (no changes)';
  let level: RiskLevel = score >= policy.thresholds.high ? 'high' : score >= policy.thresholds.medium ? 'medium' : 'low';
  const floor: RiskLevel = found.has('airlock-config') ? 'high' : found.has('unknown') ? 'medium' : 'low';
  if (LEVELS.indexOf(floor) > LEVELS.indexOf(level)) {
    level = floor;
    const raised = Math.max(score, floor === 'high' ? policy.thresholds.high : policy.thresholds.medium);
    if (raised !== score) formula += `, raised to ${raised}: ${floorReason(floor)}`;
    score = raised;
  }

  return {
    score,
    level,
    signals,
    stats: {
      files: analysis.stats.files,
      additions: analysis.stats.additions,
      deletions: analysis.stats.deletions,
      weightedLines,
      symbols,
      directories: directories.size,
      categories,
      binary: analysis.stats.binary,
      renamed: analysis.stats.renamed,
      formula,
    },
  };
}

function floorReason(floor: RiskLevel): string {
  return floor === 'high' ? "airlock's own files changed (always high)" : 'a file no rule classifies (unknown is at least medium)';
}

function lineCount(file: ChangedFile): string {
  return file.binary ? `binary, ${file.status}` : `+${file.additions} -${file.deletions}`;
}

function codeDetail(file: ChangedFile, inert: PathCategory | undefined): string {
  const fns = file.symbols.filter((s) => s.kind !== 'route');
  const shown = fns.slice(0, 4).map((s) => `${s.kind} ${s.name} ${s.change}`);
  const what =
    fns.length === 0
      ? `${lineCount(file)}${file.symbolMethod === 'typescript' ? ', no function changed' : ''}`
      : `${shown.join(', ')}${fns.length > 4 ? `, +${fns.length - 4} more` : ''}`;
  return [what, ...whyCode(file, inert)].join('; ');
}

/** Why a file counts as code although its path or its language says otherwise: each part a reason. */
function whyCode(file: ChangedFile, inert: PathCategory | undefined): string[] {
  const why: string[] = [];
  if (file.buildContext === 'entered') why.push(`moved into a build context from ${file.previousPath ?? '?'}: judged whole`);
  if (file.buildContext === 'left') why.push(`moved out of the build contexts to here: judged as removed`);
  if (file.codeEvidence) why.push(file.codeEvidence);
  if (inert) why.push(`under a ${inert} path but inside a build context: judged as code`);
  return why;
}

function sizeSignal(lines: number, sizes: { file: string; lines: number }[], policy: RiskPolicy): RiskSignal | undefined {
  const { largeLines, hugeLines } = policy.size;
  if (lines <= largeLines) return undefined;
  const share = Math.min(1, (lines - largeLines) / (hugeLines - largeLines));
  const weight = Math.round(policy.weights.size * share);
  const largest = [...sizes].sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file)).slice(0, 5);
  return {
    kind: 'size',
    weight,
    reason:
      `${SIGNAL_LABELS.size}: ${lines} changed lines outside docs, styles, content and tests (code counts wherever it ships) ` +
      `(weight starts above ${largeLines}, full at ${hugeLines}); largest: ${largest.map((s) => `${s.file} (${s.lines})`).join(', ')}`,
    files: largest.map((s) => s.file),
  };
}
