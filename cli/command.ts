/** One `airlock <name> ...` command. `run` throws ExitError for a non-zero exit; it never calls process.exit. */
export interface Command {
  name: string;
  /** One line for `airlock help`. */
  summary: string;
  /** Usage lines shown by `airlock <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<void>;
}
