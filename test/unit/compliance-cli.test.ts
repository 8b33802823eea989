import { runMain } from '../support/cli-main';

// `airlock compliance` refuses bad input before it connects to Temporal (exit 2, naming the flag).

test.each([
  [['compliance', 'rescan', 'shop'], /--env: is required/],
  [['compliance', 'rescan', '--env', 'prod'], /expects: rescan <service> --env <env>/],
  [['compliance', 'rescan', 'shop', '--env', 'prod', '--service', 'x'], /give the service as the argument/],
  [['compliance', 'shop'], /takes no positional arguments/],
  [['compliance', '--env', 'Prod!'], /--env: must be a lowercase slug/],
  [['compliance', '--nope'], /Unknown option '--nope'/],
])('airlock %j is bad input', async (argv, message) => {
  const r = await runMain(argv);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
});
