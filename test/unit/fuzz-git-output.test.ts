import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { DIFF_OPTIONS } from '../../activities/change/analyze-change';
import { parsePatch, unquote } from '../../activities/change/patch';
import { isSubmodule, parseRawNumstat } from '../../activities/change/raw-diff';

// File names in a change are chosen by its author. The diff parsers are fuzzed two ways: on arbitrary
// text (no crash but the documented one), and on what real git prints for odd names (spaces, newlines,
// tabs, quotes, backslashes, unicode), binary files, renames, deletions and a submodule, which must come
// back as exactly the paths and kinds that were committed.

describe('fuzz: git output parsers on arbitrary text', () => {
  it('parsePatch and unquote never throw; parseRawNumstat returns entries or its one documented Error', () => {
    const gitish = fc
      .array(fc.oneof(fc.constantFrom(':100644 100644 ', ' M', ' R100', '\0', '\t', '-\t-\t', '@@ -1,2 +3 @@', '--- a/', '+++ b/', 'diff --git ', 'rename from ', '"\\303\\251"', '\n', '+x', '-y', '\\'), fc.string({ maxLength: 8 })), { maxLength: 40 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), gitish), (text) => {
        expect(() => parsePatch(text)).not.toThrow();
        expect(() => unquote(text)).not.toThrow();
        try {
          for (const e of parseRawNumstat(text)) {
            expect(Number.isFinite(e.additions) && Number.isFinite(e.deletions)).toBe(true);
          }
        } catch (err) {
          expect((err as Error).message).toMatch(/^unexpected git diff --raw record/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=fuzz', '-c', 'user.email=fuzz@example.com', '-c', 'init.defaultBranch=main', '-c', 'core.quotePath=true', ...args], { cwd, encoding: 'utf8' });

/** A name git accepts for a file in the repository root. */
const fileName = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    fc.constantFrom('with space', 'new\nline', 'tab\there', 'quote"d', "apo'strophe", 'back\\slash', 'ünïcödé', '日本語.ts', '-dash', ' lead', 'trail ', 'a"b\\c\td'),
  )
  .filter((n) => !n.includes('\0') && !n.includes('/') && n !== '.' && n !== '..' && !/^\.git$/i.test(n));

const lines = (i: number, n: number): string => Array.from({ length: n }, (_, j) => `file ${i} line ${j} ${String(i).repeat(30)}`).join('\n') + '\n';

describe('fuzz: git output of odd file names, binaries, renames and submodules', () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-fuzz-git-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;

  it('every committed change comes back with its exact path, kind and line counts', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fileName, { minLength: 4, maxLength: 6, selector: (s) => s.normalize('NFC') }), (names) => {
        fc.pre(new Set(names.map((s) => `${s} moved`)).size === names.length && !names.some((s) => names.includes(`${s} moved`) || s === 'bin' || s === 'sub'));
        const repo = join(root, String(n++));
        mkdirSync(repo);
        git(repo, 'init', '-q');
        names.forEach((name, i) => writeFileSync(join(repo, name), lines(i, 5)));
        git(repo, 'add', '-A');
        git(repo, 'commit', '-qm', 'base');
        const base = git(repo, 'rev-parse', 'HEAD').trim();
        const [modified, renamed, deleted] = names as [string, string, string];
        writeFileSync(join(repo, modified), `${lines(0, 5)}added one\nadded two\n`);
        renameSync(join(repo, renamed), join(repo, `${renamed} moved`));
        unlinkSync(join(repo, deleted));
        writeFileSync(join(repo, 'bin'), Buffer.from([0, 1, 2, 0, 255, 0]));
        git(repo, 'add', '-A');
        git(repo, 'update-index', '--add', '--cacheinfo', `160000,${base},sub`);
        git(repo, 'commit', '-qm', 'head');

        const revs = [base, 'HEAD', '--'];
        const entries = parseRawNumstat(git(repo, 'diff', ...DIFF_OPTIONS, '--raw', '--numstat', '-z', '--no-abbrev', ...revs));
        const patches = parsePatch(git(repo, 'diff', ...DIFF_OPTIONS, '-p', '-U0', '--inter-hunk-context=0', '--src-prefix=a/', '--dst-prefix=b/', ...revs));
        const byPath = new Map(entries.map((e) => [e.path, e]));
        expect([...byPath.keys()].sort()).toEqual([modified, `${renamed} moved`, deleted, 'bin', 'sub'].sort());
        expect(byPath.get(modified)).toMatchObject({ status: 'modified', additions: 2, deletions: 0, binary: false });
        expect(byPath.get(`${renamed} moved`)).toMatchObject({ status: 'renamed', previousPath: renamed, similarity: 100 });
        expect(byPath.get(deleted)).toMatchObject({ status: 'deleted', deletions: 5 });
        expect(byPath.get('bin')).toMatchObject({ status: 'added', binary: true });
        expect(isSubmodule(byPath.get('sub')!.newMode)).toBe(true);
        expect(patches.get(modified)?.hunks.flatMap((h) => h.added.map((l) => l.text))).toEqual(['added one', 'added two']);
        expect(patches.get(deleted)?.hunks.flatMap((h) => h.removed).length).toBe(5);
      }),
      // each run makes a repository and two commits (~1 s): a few random runs plus every odd name at once
      { numRuns: 5, examples: [[['with space', 'new\nline', 'tab\there', 'quote"d', 'ünïcödé 日本語', 'a"b\\c\td']]] },
    );
  }, 60_000);
});
