import type { Command } from '../command';
import { buildCommand } from './build';
import { devCommand } from './dev';
import { policyCommand } from './policy';
import { riskCommand } from './risk';
import { scanCommand } from './scan';
import { workerCommand } from './worker';

/** Every `airlock <name>` command. Add one line per command. */
export const commands: Command[] = [
  devCommand,
  workerCommand,
  buildCommand,
  scanCommand,
  policyCommand,
  riskCommand,
];
