import type { Readable } from 'node:stream';

/** One JSON message of the engine's build or push stream. */
export interface EngineEvent {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/**
 * Reads a newline-delimited JSON stream from the engine, calling `onEvent` for every message. dockerode's
 * followProgress reports success even when a message carried `{error}`, so callers check every event.
 */
export function readEngineStream(stream: Readable, onEvent: (e: EngineEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const handle = (line: string) => {
      if (!line.trim()) return;
      let event: EngineEvent;
      try {
        event = JSON.parse(line) as EngineEvent;
      } catch {
        event = { stream: line };
      }
      onEvent(event);
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          handle(line);
        } catch (err) {
          stream.destroy();
          reject(err as Error);
          return;
        }
      }
    });
    stream.on('end', () => {
      try {
        handle(buffered);
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    });
    stream.on('error', reject);
  });
}

/** Follows a build stream: the current step, the last lines of output, the first error. */
export class BuildLog {
  step = '';
  error: string | undefined;
  imageId: string | undefined;
  private readonly tail: string[] = [];

  constructor(private readonly keep = 20) {}

  add(e: EngineEvent): { newStep?: string } {
    if (e.error || e.errorDetail?.message) {
      this.error ??= (e.errorDetail?.message ?? e.error ?? '').trim();
      return {};
    }
    if (e.aux?.ID) this.imageId = e.aux.ID;
    let newStep: string | undefined;
    for (const line of (e.stream ?? '').split('\n')) {
      const text = line.trimEnd();
      if (!text) continue;
      if (/^Step \d+\/\d+ : /.test(text)) {
        this.step = text;
        newStep = text;
      }
      this.tail.push(text);
      if (this.tail.length > this.keep) this.tail.shift();
    }
    return newStep ? { newStep } : {};
  }

  lastLines(): string[] {
    return [...this.tail];
  }
}
