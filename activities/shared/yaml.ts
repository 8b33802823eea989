import { parseDocument } from 'yaml';
import { InvalidInputError } from '../../model/parse';

/**
 * Parses YAML text; syntax errors (and duplicate keys) become `line L, column C: message` lines. Errors
 * the yaml library only finds while building the value (an alias to an anchor that is not set, an alias
 * bomb past its alias limit) are InvalidInputError too: `(root): message`.
 */
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
  try {
    return doc.toJS() ?? {};
  } catch (err) {
    throw new InvalidInputError(source, [`(root): ${(err as Error).message.split('\n')[0]}`]);
  }
}
