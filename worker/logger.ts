import { DefaultLogger, type LogLevel, type LogEntry } from '@temporalio/worker';

/** Structured worker logs: one JSON object per line on stderr (level, time, message, meta). */
export function jsonLogger(level: LogLevel): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const line = {
      level: entry.level.toLowerCase(),
      time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
      msg: entry.message,
      ...entry.meta,
    };
    process.stderr.write(`${JSON.stringify(line, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  });
}
