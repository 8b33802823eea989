import { readChangeWith } from '../../activities/change/read-change';
import { AnchorError } from '../../activities/errors';
import { InvalidInputError } from '../../model/parse';
import { EMPTY_TREE } from '../../model/names';
import { policySchema } from '../../model/policy';
import type { PipelineActivities } from '../../model/activities';

// readChange (patch read-change-together): the policy at the anchor, airlock.yaml at head and the change's
// assessment in one activity. It must ask each part exactly what the workflow asked them before: the range
// judged is anchor..head (the empty tree for a first release), scored with the ANCHOR's policy (its path and
// risk block), never anything the input could name apart from the anchor.

const ANCHOR = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const RISK = { thresholds: { medium: 30, high: 60 } };
const input = (extra: Record<string, unknown> = {}) => ({ releaseId: 'shop-prod-bbbbbbbbbbbb', service: 'shop', environment: 'prod', repo: 'https://git.example/shop.git', serviceDir: 'svc', headCommit: HEAD, anchor: ANCHOR, ...extra });

function parts(opts: { refuse?: string } = {}) {
  const asked: Record<string, unknown[]> = { readAnchorPolicy: [], readManifest: [], assessChange: [] };
  const p: Pick<PipelineActivities, 'readAnchorPolicy' | 'readManifest' | 'assessChange'> = {
    readAnchorPolicy: async (i) => {
      asked.readAnchorPolicy!.push(i);
      if (opts.refuse) throw new AnchorError(opts.refuse, { head: i.headCommit });
      const source = i.anchor ? `git:${i.repo}@${i.anchor}:svc/airlock.policy.yaml` : 'bootstrap:/etc/airlock/bootstrap.policy.yaml';
      const policy = { policy: policySchema.parse({ risk: RISK }), digest: `sha256:${'d'.repeat(64)}`, source };
      return { anchor: i.anchor ?? 'bootstrap', source, branch: 'main', ...(i.anchor ? { path: 'svc/airlock.policy.yaml' } : {}), snapshot: {} as never, policy };
    },
    readManifest: async (i) => {
      asked.readManifest!.push(i);
      return { build: { context: '.', dockerfile: 'Dockerfile' } } as never;
    },
    assessChange: async (i) => {
      asked.assessChange!.push(i);
      return { change: { files: 1, additions: 1, deletions: 0, authors: [], touchesGates: false, analysisDigest: 'sha256:c' }, risk: { score: 5, level: 'low', signals: [], stats: { files: 1, additions: 1, deletions: 0 } } };
    },
  };
  return { read: readChangeWith(p), asked };
}

test('anchor..head, assessed with the anchored policy\'s path and risk block; each part asked once, as before', async () => {
  const { read, asked } = parts();
  const got = await read(input({ promotion: { anchor: ANCHOR } }));
  expect(asked).toEqual({
    readAnchorPolicy: [{ releaseId: 'shop-prod-bbbbbbbbbbbb', repo: 'https://git.example/shop.git', serviceDir: 'svc', environment: 'prod', headCommit: HEAD, anchor: ANCHOR }],
    readManifest: [{ releaseId: 'shop-prod-bbbbbbbbbbbb', service: 'shop', environment: 'prod', repo: 'https://git.example/shop.git', commit: HEAD, serviceDir: 'svc', promotion: { anchor: ANCHOR } }],
    assessChange: [{ releaseId: 'shop-prod-bbbbbbbbbbbb', repo: 'https://git.example/shop.git', baseCommit: ANCHOR, headCommit: HEAD, policyPath: 'svc/airlock.policy.yaml', riskPolicy: expect.objectContaining({ thresholds: RISK.thresholds }) }],
  });
  expect(got.policy.anchor).toBe(ANCHOR);
  expect(got.settings).toEqual({ build: { context: '.', dockerfile: 'Dockerfile' } });
  expect(got.risk.level).toBe('low');
});

test('a first release (no anchor): the bootstrap policy, everything from the empty tree, no policy path', async () => {
  const { read, asked } = parts();
  await read(input({ anchor: null }));
  expect(asked.assessChange).toEqual([expect.objectContaining({ baseCommit: EMPTY_TREE })]);
  expect(asked.assessChange![0]).not.toHaveProperty('policyPath');
  expect(asked.readManifest![0]).not.toHaveProperty('promotion');
});

test('a refused anchor (head not on a protected branch) stops it before the change is assessed', async () => {
  const { read, asked } = parts({ refuse: 'head is not on a protected branch of prod (main)' });
  await expect(read(input())).rejects.toBeInstanceOf(AnchorError);
  expect(asked.assessChange).toEqual([]);
});

test('bad input is refused naming the field, before anything is read', async () => {
  const { read, asked } = parts();
  await expect(read(input({ headCommit: 'main' }))).rejects.toThrow(InvalidInputError);
  await expect(read(input({ headCommit: 'main' }))).rejects.toThrow(/headCommit.*full git commit/);
  await expect(read(input({ baseCommit: ANCHOR }))).rejects.toThrow(/baseCommit/); // the range comes from the anchor only
  await expect(read(input({ anchor: undefined }))).rejects.toThrow(/anchor/);
  expect(asked).toEqual({ readAnchorPolicy: [], readManifest: [], assessChange: [] });
});
