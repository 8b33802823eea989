import type { Command } from '../command';
import { abortCommand } from './abort';
import { approveCommand, promoteCommand, rejectCommand } from './approve';
import { buildCommand } from './build';
import { demoCommand } from './demo';
import { deployCommand } from './deploy';
import { devCommand } from './dev';
import { historyCommand, listCommand, statusCommand } from './inspect';
import { keysCommand } from './keys';
import { policyCommand } from './policy';
import { riskCommand } from './risk';
import { rollbackCommand } from './rollback';
import { scanCommand } from './scan';
import { triggerCommand } from './trigger';
import { workerCommand } from './worker';

/** Every `airlock <name>` command. Add one line per command. */
export const commands: Command[] = [
  triggerCommand,
  deployCommand,
  rollbackCommand,
  approveCommand,
  rejectCommand,
  promoteCommand,
  abortCommand,
  statusCommand,
  listCommand,
  historyCommand,
  keysCommand,
  riskCommand,
  buildCommand,
  scanCommand,
  policyCommand,
  demoCommand,
  devCommand,
  workerCommand,
];
