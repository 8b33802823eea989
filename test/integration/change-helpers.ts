import { analyzeChange } from '../../activities/change';
import { scoreRisk } from '../../activities/risk';
import type { ChangeAnalysis, RiskPolicy } from '../../model/change';
import type { RiskAssessment, RiskSignal } from '../../model/risk';
import { TempRepo } from '../support/git-repo';
import { SERVICE_FILES } from './change-service';

/** A temp repository holding the shop service at `base`; each `change` is a new commit on top of base. */
export class ServiceRepo {
  readonly repo: TempRepo;
  readonly base: string;

  constructor() {
    this.repo = TempRepo.create();
    this.base = this.repo.commit('shop-api 1.4.0', SERVICE_FILES);
  }

  /** Commits `files` on top of base, then analyzes and scores base..head. */
  async change(
    files: Record<string, string | Buffer | null>,
    options: { policy?: RiskPolicy; renames?: [string, string][]; author?: string } = {},
  ): Promise<{ analysis: ChangeAnalysis; risk: RiskAssessment; head: string }> {
    this.repo.at(this.base);
    for (const [from, to] of options.renames ?? []) {
      this.repo.write({ [to]: this.repo.read(from) });
      this.repo.write({ [from]: null });
    }
    const head = this.repo.commit('change', files, options.author);
    const analysis = await analyzeChange({ repo: this.repo.dir, base: this.base, head });
    const risk = scoreRisk(analysis, options.policy);
    return { analysis, risk, head };
  }

  remove(): void {
    this.repo.remove();
  }
}

/** The base content of `file` with `from` replaced by `to` (fails if `from` is not there: the edit must be real). */
export function edit(file: string, from: string | RegExp, to: string): string {
  const before = SERVICE_FILES[file];
  if (before === undefined) throw new Error(`${file} is not in the service fixture`);
  const after = before.replace(from, to);
  if (after === before) throw new Error(`edit of ${file} changed nothing: ${String(from)} not found`);
  return after;
}

/** The signal of `kind`, asserting it exists and that its files and reason name `file`. */
export function signalFor(risk: RiskAssessment, kind: string, file?: string): RiskSignal {
  const signal = risk.signals.find((s) => s.kind === kind);
  if (!signal) throw new Error(`no ${kind} signal; signals: ${risk.signals.map((s) => `${s.kind}(${s.weight})`).join(', ')}`);
  if (file !== undefined) {
    expect(signal.files).toContain(file);
    expect(signal.reason).toContain(file);
  }
  return signal;
}

export function kinds(risk: RiskAssessment): string[] {
  return risk.signals.map((s) => s.kind);
}

/** One line per signal, for failure messages. */
export function explain(risk: RiskAssessment): string {
  return [`${risk.level} ${risk.score}: ${String(risk.stats.formula)}`, ...risk.signals.map((s) => `  ${s.kind} ${s.weight}: ${s.reason}`)].join('\n');
}

/** Asserts the level, showing every signal when it is not the expected one. */
export function expectLevel(risk: RiskAssessment, level: RiskAssessment['level']): void {
  if (risk.level !== level) throw new Error(`expected ${level}, got ${explain(risk)}`);
}
