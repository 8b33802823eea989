import type { Command } from '../command';
import { devCommand } from './dev';
import { workerCommand } from './worker';

/** Every `airlock <name>` command. Add one line per command. */
export const commands: Command[] = [
  devCommand,
  workerCommand,
];
