import { parseDocument } from 'yaml';
import { InvalidInputError } from '../../model/parse';

/** Parses YAML text; syntax errors (and duplicate keys) become `line L, column C: message` lines. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InvalidInputError(
      source,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}` : '(root)'}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  return doc.toJS() ?? {};
}
