import type { Finding } from '../../model/change';
import { where, type ChangedLine, type FileContext } from './file-context';

/**
 * Data touched: SQL statements and ORM/migration-builder calls in changed lines. Statements that lose or
 * reshape existing data (DROP, TRUNCATE, RENAME, column type changes, ORM drop/remove calls) are
 * `data-destructive`, unless they are in the rollback half of a migration (a `down` function, a
 * `*.down.sql` file, or after a `-- migrate:down` / `-- +migrate Down` / `-- +goose Down` marker).
 */
const DESTRUCTIVE = [
  /\bDROP\s+(?:TABLE|COLUMN|SCHEMA|DATABASE|VIEW|TYPE|CONSTRAINT)\b/i,
  /\bALTER\s+TABLE\b[^;]*\bDROP\b/i,
  /\bTRUNCATE\b(?:\s+TABLE)?\s+["`\w]/i,
  /\bRENAME\s+(?:COLUMN|TO|TABLE)\b/i,
  /\bALTER\s+(?:COLUMN\s+)?[\w"`]+\s+(?:SET\s+DATA\s+)?TYPE\b/i,
  /\bDELETE\s+FROM\b(?![^;]*\bWHERE\b)/i,
  /\.(?:dropTable|dropTableIfExists|dropColumns?|removeColumn|renameColumn|renameTable|dropSchema)\s*\(/,
  /\bop\.(?:drop_table|drop_column|alter_column)\s*\(/,
  /\b(?:remove_column|drop_table|rename_column)\b/,
];

const ADDITIVE = [
  /\bCREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TYPE|SCHEMA|SEQUENCE|EXTENSION)\b/i,
  /\bALTER\s+TABLE\b/i,
  /\bINSERT\s+INTO\b/i,
  /\bUPDATE\s+[\w"`.]+\s+SET\b/i,
  /\bDELETE\s+FROM\b/i,
  /\bSELECT\b[\s\S]*\bFROM\b/i,
  /\.(?:createTable|addColumn|alterTable|createIndex|addIndex|changeColumn)\s*\(/,
  /\bop\.(?:create_table|add_column|create_index)\s*\(/,
  /\b(?:add_column|create_table|add_index)\b/,
  /\bt\.(?:string|integer|text|boolean|timestamp|references|bigint|uuid|json|jsonb)\s*\(|\btable\.(?:string|integer|text|boolean|timestamp|timestamps|uuid|json|jsonb|bigInteger|decimal|float|date|dateTime|enu|enum|increments|foreign|references)\s*\(/,
  /^\s*model\s+\w+\s*\{|^\s*@@?(?:id|unique|index|map|relation)\b/,
];

const DOWN_MARKER = /^\s*--\s*(?:\+migrate\s+Down|migrate:down|\+goose\s+Down)\b/i;
const UP_MARKER = /^\s*--\s*(?:\+migrate\s+Up|migrate:up|\+goose\s+Up)\b/i;

export function dataFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  const downFile = /(?:^|[./_-])down\.sql$/i.test(ctx.path);
  const downLines = {
    added: downRegion(ctx.newText),
    removed: downRegion(ctx.oldText),
  };
  for (const l of ctx.lines) {
    if (l.comment || l.moved) continue;
    const rollback = downFile || isDownSymbol(l) || downLines[l.side](l.line);
    const destructive = DESTRUCTIVE.find((re) => re.test(l.text));
    if (destructive && !rollback && l.side === 'added') {
      findings.push({ kind: 'data-destructive', detail: `destructive data change: ${where(l)}`, line: l.line, symbol: l.symbol });
    } else if (destructive || ADDITIVE.some((re) => re.test(l.text))) {
      const note = rollback ? ' (rollback path)' : '';
      findings.push({ kind: 'data', detail: `schema or data statement${note}: ${where(l)}`, line: l.line, symbol: l.symbol });
    }
  }
  return findings;
}

function isDownSymbol(l: ChangedLine): boolean {
  return !!l.symbol && /(?:^|\.)(?:down|rollback|revert)$/i.test(l.symbol);
}

/** For SQL files with up/down markers: whether a 1-based line is in a down section. */
function downRegion(text: string | undefined): (line: number) => boolean {
  if (text === undefined || !text.split('\n').some((l) => DOWN_MARKER.test(l))) return () => false;
  const down: boolean[] = [];
  let inDown = false;
  for (const line of text.split('\n')) {
    if (DOWN_MARKER.test(line)) inDown = true;
    else if (UP_MARKER.test(line)) inDown = false;
    down.push(inDown);
  }
  return (line) => down[line - 1] ?? false;
}
