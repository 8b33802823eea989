/* eslint-disable @typescript-eslint/no-require-imports -- synchronous lazy loading: each command module is required on first use */
import type { Command } from '../command';

/**
 * Every `airlock <name>` command, loaded on first use: a command pulls in only its own dependencies
 * (Pulumi alone takes seconds to load), so `airlock status` starts fast. Add one line per command.
 */
export const commands: { name: string; load: () => Command }[] = [
  { name: 'trigger', load: () => require('./trigger').triggerCommand },
  { name: 'promote-release', load: () => require('./promote-release').promoteReleaseCommand },
  { name: 'deploy', load: () => require('./deploy').deployCommand },
  { name: 'rollback', load: () => require('./rollback').rollbackCommand },
  { name: 'approve', load: () => require('./approve').approveCommand },
  { name: 'reject', load: () => require('./approve').rejectCommand },
  { name: 'promote', load: () => require('./approve').promoteCommand },
  { name: 'abort', load: () => require('./abort').abortCommand },
  { name: 'status', load: () => require('./inspect').statusCommand },
  { name: 'list', load: () => require('./inspect').listCommand },
  { name: 'history', load: () => require('./inspect').historyCommand },
  { name: 'metrics', load: () => require('./metrics').metricsCommand },
  { name: 'keys', load: () => require('./keys').keysCommand },
  { name: 'risk', load: () => require('./risk').riskCommand },
  { name: 'build', load: () => require('./build').buildCommand },
  { name: 'scan', load: () => require('./scan').scanCommand },
  { name: 'verify', load: () => require('./verify').verifyCommand },
  { name: 'probe', load: () => require('./probe').probeCommand },
  { name: 'evidence', load: () => require('./verify').evidenceCommand },
  { name: 'policy', load: () => require('./policy').policyCommand },
  { name: 'compliance', load: () => require('./compliance').complianceCommand },
  { name: 'demo', load: () => require('./demo').demoCommand },
  { name: 'dev', load: () => require('./dev').devCommand },
  { name: 'worker', load: () => require('./worker').workerCommand },
  { name: 'ui', load: () => require('./ui').uiCommand },
];
