import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { TempRepo } from '../support/git-repo';
import { analyzeChange } from '../../activities/change';
import { scoreRisk } from '../../activities/risk';
import { SCENARIOS } from '../../cli/demo/scenarios';

// The demo's scenario 5 drops the token check of GET /api/entries in code: the risk engine must score it
// high (authorization code removed) before the runtime security stage finds the endpoint open (issue 21).
test('demo scenario 5 (auth check dropped) is scored high by the risk engine', async () => {
  const git = TempRepo.create('risk5-', { email: 'a@b.c', name: 'a' });
  cpSync(join(__dirname, '../../examples/demo-service'), git.dir, { recursive: true });
  const base = git.commit('base');
  const edit = { edit: (f: string, fn: (t: string) => string) => { git.commit('x', { [f]: fn(git.read(f)) }); } };
  SCENARIOS[4]!.change(edit as never);
  const head = git.commit('head');
  const a = await analyzeChange({ repo: git.dir, base, head });
  const r = scoreRisk(a, undefined);
  expect(r.level).toBe('high');
  git.remove();
});
