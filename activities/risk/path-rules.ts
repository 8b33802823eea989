import picomatch from 'picomatch';
import { DEFAULT_PATH_RULES, PATH_CATEGORIES, type PathCategory, type RiskPolicy } from '../../model/change';

/** Which path categories a repo-relative path falls in. */
export type PathClassifier = (file: string) => Set<PathCategory>;

interface Rule {
  exclude: boolean;
  matches: (file: string) => boolean;
}

/**
 * Compiles the built-in globs of every category followed by the policy's own. Within a category the last
 * glob that matches decides, and a `!glob` excludes (like .gitignore), so a policy can both widen and
 * narrow a category. Matching is case-insensitive and includes dot files.
 */
export function pathClassifier(policy: RiskPolicy): PathClassifier {
  const rules = PATH_CATEGORIES.map((category) => {
    const globs = [...DEFAULT_PATH_RULES[category], ...policy.paths[category]];
    const compiled: Rule[] = globs.map((glob) => {
      const exclude = glob.startsWith('!');
      return { exclude, matches: picomatch(exclude ? glob.slice(1) : glob, { dot: true, nocase: true }) };
    });
    return { category, rules: compiled.reverse() };
  });
  return (file) => {
    const out = new Set<PathCategory>();
    for (const { category, rules: list } of rules) {
      const decisive = list.find((r) => r.matches(file));
      if (decisive && !decisive.exclude) out.add(category);
    }
    return out;
  };
}
