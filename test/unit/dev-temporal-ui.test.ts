// Issue 11 item 13 (a): `airlock dev up` starts the Temporal dev server without its web UI unless asked.
// temporal CLI 1.5.1's dev server has no read-only UI (its UI config never sets DisableWriteActions), so
// the UI is off by default and AIRLOCK_TEMPORAL_UI=on opts in to a UI with write actions.
import { loadConfig } from '../../infra/config';
import { temporalArgs } from '../../infra/local/stack';

test('dev up starts Temporal headless by default: no web UI that can reset, signal or terminate', () => {
  const args = temporalArgs(loadConfig({ HOME: '/h' }));
  expect(args).toContain('--headless');
  expect(args).not.toContain('--ui-port');
});

test('AIRLOCK_TEMPORAL_UI=on starts the UI on AIRLOCK_TEMPORAL_UI_PORT', () => {
  const args = temporalArgs(loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: 'on', AIRLOCK_TEMPORAL_UI_PORT: '9000' }));
  expect(args).not.toContain('--headless');
  expect(args.slice(args.indexOf('--ui-port'), args.indexOf('--ui-port') + 2)).toEqual(['--ui-port', '9000']);
});

test('any other value is bad input', () => {
  expect(() => loadConfig({ HOME: '/h', AIRLOCK_TEMPORAL_UI: 'read-only' })).toThrow(/AIRLOCK_TEMPORAL_UI/);
});
