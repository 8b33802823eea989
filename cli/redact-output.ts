import { redactText } from '../model/redact';

const patched = new WeakSet<NodeJS.WriteStream>();

/**
 * Everything the CLI prints (results, progress, errors, the worker's logs when it runs as \`airlock worker\`)
 * passes through the one redaction function (model/redact.ts): installed once on stdout and stderr by
 * runCli, so no command can print a secret it read from history, a scan or a failure.
 */
export function redactOutput(stream: NodeJS.WriteStream): void {
  if (patched.has(stream)) return;
  patched.add(stream);
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') return write(redactText(chunk), ...rest);
    if (chunk instanceof Uint8Array) return write(redactText(Buffer.from(chunk).toString('utf8')), ...rest);
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
