import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { GitError } from '../../activities/errors';
import { parseCommandArgs } from '../../cli/args';
import { runTrigger, type TriggerDeps } from '../../cli/commands/trigger';
import { EXIT, ExitError } from '../../cli/errors';
import { main } from '../../cli/main';
import { InvalidInputError } from '../../model/parse';
import { pipelineInputSchema } from '../../model/pipeline';
import { z } from 'zod';

// argv is the first boundary: CI scripts and people type it. Parsing gives a value or exit 2 with a
// one-line `airlock <command>: --flag: message`; `airlock trigger` checks everything before it contacts
// Temporal, so no invalid input ever starts a workflow.

const FLAGS = ['--repo', '--repo-url', '--service-dir', '--env', '--commit', '--base', '--author', '--policy', '--wait', '--json', '--nope', '-x', '--', '--env=prod', '--wait=yes'];
const token = fc.oneof(fc.constantFrom(...FLAGS), fc.string({ maxLength: 12 }), fc.constantFrom('', ' ', '-', '--=', '\n', 'ünï', '$(rm -rf /)'));

describe('fuzz: argv parsing', () => {
  const options = { repo: { type: 'string' }, env: { type: 'string' }, wait: { type: 'boolean', default: false } } as const;
  const schema = z.object({ repo: z.string().min(1), env: z.string().min(1), wait: z.boolean(), positionals: z.array(z.string()).max(0, 'takes no positional arguments') });

  it('any argv is parsed or refused with ExitError(2) naming the command, one line', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
        try {
          const parsed = parseCommandArgs('trigger', argv, options, schema);
          expect(schema.safeParse(parsed).success).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(ExitError);
          expect((err as ExitError).code).toBe(EXIT.badInput);
          expect((err as ExitError).message).toMatch(/^airlock trigger: /);
          for (const part of (err as ExitError).message.replace(/^airlock trigger: /, '').split('; ')) expect(part.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an unknown command is exit 2, never a crash', async () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await fc.assert(
        fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !['help', '--help', '-h'].includes(s) && !/^[a-z]+$/.test(s)), fc.array(token, { maxLength: 3 }), async (name, rest) => {
          expect(await main([name, ...rest])).toBe(EXIT.badInput);
        }),
        { numRuns: 100 },
      );
    } finally {
      write.mockRestore();
    }
  });
});

// --- airlock trigger: never a workflow started on invalid input ----------------------------------------

class Started extends Error {}

/** A Temporal client that records what it is asked and stops at `start` (nothing runs). */
function recordingDeps(): TriggerDeps & { calls: { name: string; args: unknown }[] } {
  const calls: { name: string; args: unknown }[] = [];
  const client = {
    workflow: {
      getHandle: (id: string) => ({
        describe: async () => {
          calls.push({ name: 'describe', args: id });
          throw new Error('not found');
        },
      }),
      start: async (_wf: unknown, opts: unknown) => {
        calls.push({ name: 'start', args: opts });
        throw new Started();
      },
      // trigger --wait starts with Update-with-Start (the start options travel in the operation)
      executeUpdateWithStart: async (_update: unknown, o: { startWorkflowOperation: { options: unknown } }) => {
        calls.push({ name: 'start', args: o.startWorkflowOperation.options });
        throw new Started();
      },
    },
  } as unknown as Client;
  return {
    calls,
    env: {},
    withClient: async (fn) => {
      calls.push({ name: 'connect', args: undefined });
      return fn(client, { temporal: { taskQueue: 'airlock-test' } as never });
    },
  };
}

describe('fuzz: airlock trigger', () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-fuzz-trigger-'));
  const repo = join(root, 'repo');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: repo, encoding: 'utf8' });
  beforeAll(() => {
    mkdirSync(join(repo, 'svc'), { recursive: true });
    const manifest = 'service: demo\nbuild: {}\nrun:\n  port: 8080\n  health: /healthz\nenvironments:\n  prod:\n    routerPort: 18080\n';
    writeFileSync(join(repo, 'airlock.yaml'), manifest);
    writeFileSync(join(repo, 'svc', 'airlock.yaml'), 'service: Bad Name\n');
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'one');
    writeFileSync(join(repo, 'app.js'), 'x\n');
    git('add', '-A');
    git('commit', '-qm', 'two');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const value = (pool: string[]) => fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 10 }));
  const flag = fc.oneof(
    value(['REPO', '/nonexistent/x', '', '.', 'ROOT']).map((v) => ['--repo', v]),
    value(['prod', 'staging', 'PROD', '', '../prod']).map((v) => ['--env', v]),
    value(['HEAD', 'HEAD~1', 'HEAD~5', 'deadbeef', '', 'main']).map((v) => ['--commit', v]),
    value(['HEAD~1', 'HEAD', 'nope', '']).map((v) => ['--base', v]),
    value(['.', 'svc', '..', '/etc', 'missing', '']).map((v) => ['--service-dir', v]),
    value(['https://user:token@example.com/r.git', 'ssh://git@example.com/r', 'file:///x', 'git@example.com:r']).map((v) => ['--repo-url', v]),
    value(['alice@example.com', '']).map((v) => ['--author', v]),
    value(['airlock.policy.yaml']).map((v) => ['--policy', v]),
    fc.constantFrom(['--wait'], ['--json'], ['--bogus'], ['positional']),
  );
  const argv = fc.array(flag, { maxLength: 6 }).map((flags) => flags.flat().map((t) => (t === 'REPO' ? repo : t === 'ROOT' ? root : t)));

  it('every argv starts a workflow with valid input, or fails as bad input before Temporal is contacted', async () => {
    let started = 0;
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const deps = recordingDeps();
        const err = await runTrigger(args, deps).then(() => undefined, (e: unknown) => e);
        if (err instanceof Started) {
          const start = deps.calls.find((c) => c.name === 'start')!;
          const [input] = (start.args as { args: unknown[] }).args;
          expect(pipelineInputSchema.safeParse(input).success).toBe(true);
          expect(args).toContain('--env');
          started++;
          return;
        }
        // bad input: exit 2 (ExitError, InvalidInputError or GitError), and Temporal never asked anything
        const badInput = (err instanceof ExitError && err.code === EXIT.badInput) || err instanceof InvalidInputError || err instanceof GitError;
        if (!badInput) throw err;
        expect(deps.calls).toEqual([]);
      }),
      // valid-looking argvs run git a few times each (~0.3 s): bounded, with the valid one always tried
      { numRuns: 40, examples: [[['--repo', repo, '--env', 'prod']]] },
    );
    expect(started).toBeGreaterThan(0); // the property saw both sides
  }, 60_000);
});
