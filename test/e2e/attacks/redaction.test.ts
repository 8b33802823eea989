// Attack (issue 11, item 10): secret values escape redaction. A change quotes a credential in a changed
// line (risk reasons quote changed lines), echoes one in a Dockerfile RUN (the build's step lines and its
// error output, last 20 lines), and the repository's origin URL carries `user:token@` (image label
// org.opencontainers.image.source). Each is run through `airlock trigger` on the real stack; then the
// Temporal history (`temporal workflow show --output json`), the worker's log, every CLI output and the
// evidence store are searched: none of the planted values may appear anywhere.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { temporalCli } from '../../support/e2e-approval';
import { E2eWorld, useE2eWorld, PIPELINE_TIMEOUT_MS } from '../../support/e2e-world';

let world: E2eWorld;
useE2eWorld({ name: 'redaction' }, (w) => (world = w));

const PIPELINE = PIPELINE_TIMEOUT_MS + 60_000;
const started = Date.now();
const alnum = (n: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
};

// Fresh values per run, so a hit can only come from this run.
const PLANTED = {
  changedLine: `sk_live_${alnum(24)}`, // quoted by the risk reasons
  runSucceeds: `ghp_${alnum(36)}`, // echoed by a RUN that succeeds: build step lines
  runFails: `xoxb-${alnum(12)}-${alnum(24)}`, // echoed by a RUN that fails: the build error's last lines
  originUrl: alnum(28), // userinfo of the origin URL: image label
};
const outputs: string[] = [];
const pipelines: string[] = [];

/** Every file under `dir` changed since this test started (the evidence store is shared by runs). */
function recentFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    const st = statSync(p);
    if (st.isDirectory()) return recentFiles(p);
    return st.mtimeMs >= started - 1000 ? [p] : [];
  });
}

/** Where each planted value was found: history of each pipeline, worker log, CLI output, evidence files. */
function leaks(): string[] {
  const places: { where: string; text: string }[] = [];
  for (const id of pipelines) {
    const shown = temporalCli(world.config, ['workflow', 'show', '--workflow-id', id, '--output', 'json']);
    expect({ code: shown.code, stderr: shown.stderr }).toMatchObject({ code: 0 });
    expect(shown.stdout.length).toBeGreaterThan(1000);
    places.push({ where: `temporal history of ${id}`, text: shown.stdout });
    // Payloads are base64 in the JSON: decode them too.
    for (const m of shown.stdout.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)) places.push({ where: `history payload of ${id}`, text: Buffer.from(m[1]!, 'base64').toString('utf8') });
  }
  places.push({ where: 'worker log', text: readFileSync(world.worker!.logFile, 'utf8') });
  outputs.forEach((text, i) => places.push({ where: `CLI output #${i + 1}`, text }));
  for (const file of recentFiles(world.config.dirs.evidence)) places.push({ where: `evidence ${file}`, text: readFileSync(file).toString('utf8') });
  return Object.entries(PLANTED).flatMap(([name, value]) => places.filter((p) => p.text.includes(value)).map((p) => `${name} in ${p.where}`));
}

test('planted credentials in a changed line, a RUN that succeeds and the origin URL: the pipeline runs, the values appear nowhere', async () => {
  world.repo.git(['remote', 'add', 'origin', `https://deploy:${PLANTED.originUrl}@git.example.com/team/demo.git`]);
  world.repo.edit('server.js', (t) => `${t}\n// payment provider\nconst api_key = "${PLANTED.changedLine}";\nvoid api_key;\n`);
  world.repo.edit('Dockerfile', (t) => t.replace('ENV PORT=8080', `RUN echo "release notes fetched with ${PLANTED.runSucceeds}" > /dev/null\nENV PORT=8080`));
  const commit = world.repo.commit('payments: provider key');
  const id = world.pipelineId(commit);
  pipelines.push(id);
  const r = world.trigger(); // no --wait: the gate may block it or send it to approval
  outputs.push(r.stdout, r.stderr);
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
  // It ends one way or another (blocked by policy or waiting for approval is up to the gate): it ran build and scan.
  const state = await world.waitForState(id, (s) => s.status !== 'RUNNING' || s.stage === 'approval', 'past the scan');
  expect(state.image).toMatch(/@sha256:[0-9a-f]{64}$/);
  const attached = await world.cliAsync(world.triggerArgs('--wait'), 20_000); // attaches; ends at once when the pipeline has
  outputs.push(attached.stdout, attached.stderr);
  for (const args of [['status', id, '--json'], ['status', id], ['history', id], ['history', id, '--json']]) {
    const out = world.cli(args);
    outputs.push(out.stdout, out.stderr);
  }
  expect(outputs.join('\n')).toMatch(/api_key/); // the reason still says where: only the value is masked
}, PIPELINE);

test('a RUN that echoes a credential and fails the build: the failure is reported, the value appears nowhere', () => {
  world.repo.edit('Dockerfile', (t) => t.replace(/^RUN echo .*\n/m, `RUN echo "deploy token ${PLANTED.runFails}" && exit 7\n`));
  const commit = world.repo.commit('build: fetch with token');
  const id = world.pipelineId(commit);
  pipelines.push(id);
  const r = world.trigger('--wait');
  outputs.push(r.stdout, r.stderr);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/build/i);
  for (const args of [['status', id, '--json'], ['history', id]]) {
    const out = world.cli(args);
    outputs.push(out.stdout, out.stderr);
  }
}, PIPELINE);

test('none of the planted values is in the Temporal history, the worker log, the CLI output or the evidence store', () => {
  expect(leaks()).toEqual([]);
});
