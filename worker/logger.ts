import { DefaultLogger, type LogLevel, type LogEntry } from '@temporalio/worker';
import { redactDeep } from '../model/redact';

/** Structured worker logs: one JSON object per line on stderr (level, time, message, meta), redacted (model/redact.ts). */
export function jsonLogger(level: LogLevel): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    const line = redactDeep({
      level: entry.level.toLowerCase(),
      time: new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString(),
      msg: entry.message,
      ...toPlain(entry.meta),
    });
    process.stderr.write(`${JSON.stringify(line, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  });
}

/** Meta as plain data (errors become their message and stack), so redaction sees every string in it. */
function toPlain(meta: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!meta) return {};
  return Object.fromEntries(
    Object.entries(meta).map(([k, v]) => [k, v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v]),
  );
}
