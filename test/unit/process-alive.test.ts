import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAlive } from '../../infra/local/processes';

// `airlock dev down` waits for each service to die. A service restarted by a test is that test's child;
// once killed it stays a zombie until its parent reaps it, and a parent blocked in spawnSync (waiting for
// `dev down`) never does: both waited for the other until a 5-minute timeout (found in CI, 3 Dec 2026).
test('a zombie (exited, not reaped) is not alive', () => {
  const child = spawn('/bin/true', { stdio: 'ignore' });
  const pid = child.pid!;
  // block this event loop (as spawnSync does) so libuv cannot reap the child while it exits
  const until = Date.now() + 5000;
  let state = '';
  while (Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z') break;
  }
  expect(state).toBe('Z');
  expect(isAlive(pid)).toBe(false);
});

test('a running process is alive; a pid that does not exist is not', () => {
  expect(isAlive(process.pid)).toBe(true);
  expect(isAlive(2 ** 22 + 11)).toBe(false);
});
