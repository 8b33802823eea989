// Attacks: a chosen base, a chosen policy, a diff smaller than what ships (issue 11, items 1 and 2).
// An author who can push commits and run CI jobs picks the commit whose policy judges the change
// (`--base`, `--policy`, an orphan commit), ships a risky commit under a harmless one on top, deploys from
// a branch nobody protects, or brings a first release whose own policy names the author as sole approver.
// The policy must come from the commit the environment runs now (its stable release), the judged range
// must be stable..head, head must descend from stable and sit on a protected branch, and a first release
// is a bootstrap approved by the worker's approvers. Driven through `airlock trigger` on the real stack.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineState } from '../../../model/pipeline';
import { approverKey, PIPELINE_TIMEOUT_MS, useE2eWorld, type E2eWorld } from '../../support/e2e-world';

type Status = PipelineState & { status: string };

/** A policy an author would like: nobody needs to approve anything; the author is the only approver. */
function laxPolicy(authorKey: string): string {
  return `version: 1
approverGroups:
  developers:
    members:
      - { id: "dana@example.com", publicKey: ${authorKey} }
approvals:
  timeout: 10m
  low: { required: 0 }
  medium: { required: 0 }
  high: { required: 0 }
`;
}

/** The demo's "new endpoint" change: medium risk under the demo's policy (one approver). */
function newEndpoint(world: E2eWorld, n: number): void {
  world.repo.edit('server.js', (t) => {
    const anchor = "  if (path === '/version')";
    if (!t.includes(anchor)) throw new Error('the /version route of server.js was not found');
    return t.replace(anchor, `  if (path === '/hello${n}') return done(200, { hello: 'world' });\n${anchor}`);
  });
}

const docsChange = (world: E2eWorld, text: string): void => world.repo.edit('README.md', (t) => `${t}\n${text}\n`);

/** Waits until the pipeline either opened its approval gate or went past it (the hole: auto-approved). */
async function atOrPastApproval(world: E2eWorld, id: string): Promise<Status> {
  return world.waitForState(
    id,
    (s) => (s.stage === 'approval' && !!s.approval?.deadline) || ['deploy', 'analysis', 'promote', 'rollback', 'done'].includes(s.stage),
    'at or past its approval gate',
  );
}

/** Ends a waiting pipeline (frees the environment's lock for the next attack). */
function reject(world: E2eWorld, id: string): void {
  const r = world.cli(['reject', id, '--as', 'alice', '--reason', 'attack test: not this']);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
}

describe('with a stable release (anchored policy)', () => {
  let world: E2eWorld;
  let stable: string;
  useE2eWorld({ name: 'anchor', authorIsDeveloper: true }, (w) => (world = w));
  beforeAll(() => {
    stable = world.repo.head();
  });
  afterEach(() => {
    world.repo.git(['checkout', '-q', 'main']);
    world.repo.resetTo(stable);
  });

  test(
    '(a) a lax policy committed before the change and named with --base: judged by the stable release policy, waits',
    async () => {
      writeFileSync(join(world.repo.dir, 'airlock.policy.yaml'), laxPolicy(approverKey('dana@example.com')));
      const lax = world.repo.commit('policy: approvals are a bottleneck');
      newEndpoint(world, 1);
      const head = world.repo.commit('feat: hello endpoint');
      const r = world.trigger('--base', lax);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const s = await atOrPastApproval(world, world.pipelineId(head));
      expect(s.stage).toBe('approval');
      expect(s.risk?.level).toBe('high'); // stable..head edits the policy: a change to the gates
      expect(s.approval?.needed).toBe(2);
      expect(s.anchor).toMatchObject({ commit: stable });
      reject(world, world.pipelineId(head));
    },
    PIPELINE_TIMEOUT_MS,
  );

  test('(b) --policy <a lax policy file> is refused (exit 2), never used', () => {
    writeFileSync(join(world.repo.dir, 'lax.policy.yaml'), laxPolicy(approverKey('dana@example.com')));
    world.repo.commit('chore: a second policy');
    newEndpoint(world, 2);
    world.repo.commit('feat: hello endpoint');
    const r = world.trigger('--policy', 'lax.policy.yaml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--policy is not accepted.*airlock\.yaml/);
  });

  test(
    '(c) an orphan base commit carrying a lax policy: judged by the stable release policy, waits',
    async () => {
      world.repo.git(['checkout', '-q', '--orphan', 'orphan']);
      writeFileSync(join(world.repo.dir, 'airlock.policy.yaml'), laxPolicy(approverKey('dana@example.com')));
      const orphan = world.repo.commit('orphan: lax policy');
      world.repo.git(['checkout', '-q', '-f', 'main']);
      newEndpoint(world, 3);
      const head = world.repo.commit('feat: hello endpoint');
      const r = world.trigger('--base', orphan);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const s = await atOrPastApproval(world, world.pipelineId(head));
      expect(s.stage).toBe('approval');
      expect(s.approval?.needed).toBeGreaterThanOrEqual(1);
      expect(s.anchor).toMatchObject({ commit: stable });
      reject(world, world.pipelineId(head));
    },
    PIPELINE_TIMEOUT_MS,
  );

  test(
    '(e) head on a branch the environment does not deploy from: refused (exit 2)',
    () => {
      world.repo.git(['checkout', '-q', '-b', 'feature-e']);
      docsChange(world, 'a docs change on a feature branch');
      const head = world.repo.commit('docs: feature branch');
      world.repo.git(['checkout', '-q', 'main']);
      const r = world.trigger('--commit', head, '--wait');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/not on a protected branch of .* \(main\)/);
    },
    PIPELINE_TIMEOUT_MS,
  );

  test(
    '(f) a risky commit A waits; a docs commit B on top is judged on stable..B (A included): not auto-approved',
    async () => {
      newEndpoint(world, 4);
      world.repo.edit('server.js', (t) => `const { execSync } = require('child_process');\n${t}`.replace("if (path === '/hello4')", "if (path === '/uptime') return done(200, { up: String(execSync('uptime')) });\n  if (path === '/hello4')"));
      const a = world.repo.commit('feat: uptime endpoint (risky: runs a command)');
      expect(world.trigger().code).toBe(0);
      const first = await atOrPastApproval(world, world.pipelineId(a));
      expect(first.stage).toBe('approval');
      docsChange(world, 'typo fix');
      const b = world.repo.commit('docs: typo');
      expect(world.trigger().code).toBe(0);
      const s = await atOrPastApproval(world, world.pipelineId(b));
      expect(s.stage).toBe('approval');
      expect(s.risk?.level).not.toBe('low');
      expect(s.risk?.level).toBe(first.risk?.level);
      expect(s.approval?.needed).toBeGreaterThanOrEqual(1);
      reject(world, world.pipelineId(b));
    },
    PIPELINE_TIMEOUT_MS,
  );

  test(
    '(g) head that does not descend from the stable release: refused (exit 2) with a clear message',
    () => {
      world.repo.git(['checkout', '-q', '--orphan', 'rewritten']);
      docsChange(world, 'history rewritten');
      const head = world.repo.commit('a history that does not contain the stable release');
      world.repo.git(['branch', '-f', 'main', head]); // even on the protected branch
      world.repo.git(['checkout', '-q', '-f', 'main']);
      const r = world.trigger('--commit', head, '--base', stable, '--wait');
      world.repo.git(['checkout', '-q', '-f', 'main']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/does not descend from .*stable release/);
    },
    PIPELINE_TIMEOUT_MS,
  );
});

describe('a first release (bootstrap)', () => {
  let world: E2eWorld;
  useE2eWorld({ name: 'anchorboot', authorIsDeveloper: true, bootstrap: false }, (w) => (world = w));

  test(
    '(d) its own policy names the author as sole approver, 0 approvals: bootstrap, high, needs the worker approvers',
    async () => {
      writeFileSync(join(world.repo.dir, 'airlock.policy.yaml'), laxPolicy(approverKey('dana@example.com')));
      world.repo.commit('policy: approvals are a bottleneck');
      docsChange(world, 'first release notes');
      const head = world.repo.commit('docs: first release');
      const r = world.trigger();
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
      const s = await atOrPastApproval(world, world.pipelineId(head));
      expect(s.stage).toBe('approval');
      expect(s.risk?.level).toBe('high');
      expect(s.anchor).toMatchObject({ commit: 'bootstrap' });
      expect(s.approval).toMatchObject({ needed: 2, require: ['security'] });
      const self = world.cli(['approve', world.pipelineId(head), '--as', 'dana@example.com']);
      expect(self.code).not.toBe(0);
      reject(world, world.pipelineId(head));
    },
    PIPELINE_TIMEOUT_MS,
  );
});
