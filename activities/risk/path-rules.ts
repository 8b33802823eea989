import { DEFAULT_PATH_RULES, PATH_CATEGORIES, type PathCategory, type RiskPolicy } from '../../model/change';
import { globToRegExp } from './glob';

/** Which path categories a repo-relative path falls in. */
export type PathClassifier = (file: string) => Set<PathCategory>;

interface Rule {
  exclude: boolean;
  re: RegExp;
}

const compiled = new Map<string, PathClassifier>();

/**
 * Compiles the built-in globs of every category followed by the policy's own. Within a category the last
 * glob that matches decides, and a `!glob` excludes (like .gitignore), so a policy can both widen and
 * narrow a category. Matching is case-insensitive and includes dot files.
 */
export function pathClassifier(policy: RiskPolicy): PathClassifier {
  // Compiling ~250 globs costs about as much as classifying a large change: keep the last few rule sets.
  const key = JSON.stringify(policy.paths);
  const cached = compiled.get(key);
  if (cached) return cached;
  const rules = PATH_CATEGORIES.map((category) => ({
    category,
    rules: compileRuns([...DEFAULT_PATH_RULES[category], ...policy.paths[category]]).reverse(),
  }));
  const classify: PathClassifier = (file) => {
    const out = new Set<PathCategory>();
    for (const { category, rules: list } of rules) {
      const decisive = list.find((r) => r.re.test(file));
      if (decisive && !decisive.exclude) out.add(category);
    }
    return out;
  };
  if (compiled.size >= 16) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, classify);
  return classify;
}

/** Consecutive globs of the same sign become one alternation: same answer as testing them one by one, in order. */
function compileRuns(globs: string[]): Rule[] {
  const runs: { exclude: boolean; sources: string[] }[] = [];
  for (const glob of globs) {
    const exclude = glob.startsWith('!');
    const source = globToRegExp(exclude ? glob.slice(1) : glob).source;
    const last = runs[runs.length - 1];
    if (last && last.exclude === exclude) last.sources.push(source);
    else runs.push({ exclude, sources: [source] });
  }
  return runs.map((r) => ({ exclude: r.exclude, re: new RegExp(r.sources.map((src) => `(?:${src})`).join('|'), 'i') }));
}
