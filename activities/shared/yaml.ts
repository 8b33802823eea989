import { parseDocument } from 'yaml';
import { InvalidInputError } from '../../model/parse';

/** Parses YAML text; syntax errors (and duplicate keys) become `line L, column C: message` lines. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InvalidInputError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return `${pos ? `line ${pos.line}, column ${pos.col}` : '(root)'}: ${message}`;
      }),
    );
  }
  return doc.toJS() ?? {};
}
