import ts from 'typescript';
import type { SymbolChange } from '../../model/change';

/**
 * Functions, methods, classes, exports and HTTP routes of one TypeScript/JavaScript file, found with the
 * TypeScript compiler's parser. Comparing the declarations of the base and head versions by name and by
 * a token fingerprint (comments and formatting ignored) tells which were added, changed or removed.
 */
export interface Declaration {
  /** Unique within the file: kind + name (+ #n for overloads and repeated routes). */
  key: string;
  name: string;
  kind: SymbolChange['kind'];
  fingerprint: string;
  /** 1-based line span, for attributing a changed line to its innermost declaration. */
  start: number;
  end: number;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all', 'use']);
const DECORATOR_METHODS = new Set(['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'All']);

function scriptKind(fileName: string): ts.ScriptKind {
  const ext = fileName.slice(fileName.lastIndexOf('.') + 1).toLowerCase();
  if (ext === 'tsx') return ts.ScriptKind.TSX;
  if (ext === 'jsx') return ts.ScriptKind.JSX;
  if (ext === 'js' || ext === 'mjs' || ext === 'cjs') return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

export function tsDeclarations(text: string, fileName: string): Declaration[] {
  const script = scriptKind(fileName);
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, script);
  const jsx = script === ts.ScriptKind.TSX || script === ts.ScriptKind.JSX;
  const tokens = scanTokens(text, jsx ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard);
  const found: Omit<Declaration, 'key'>[] = [];
  const lineOf = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const add = (node: ts.Node, name: string, kind: Declaration['kind'], fingerprint?: string) => {
    const start = node.getStart(sf);
    found.push({ name, kind, fingerprint: fingerprint ?? tokensIn(tokens, start, node.end), start: lineOf(start), end: lineOf(node.end) });
  };

  for (const stmt of sf.statements) {
    if (ts.isFunctionDeclaration(stmt)) {
      add(stmt, stmt.name?.text ?? 'default', 'function');
    } else if (ts.isClassDeclaration(stmt)) {
      const className = stmt.name?.text ?? 'default';
      add(stmt, className, 'class', className);
      const prefix = controllerPrefix(stmt);
      for (const member of stmt.members) {
        const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : member.name?.getText(sf);
        if (ts.isConstructorDeclaration(member)) add(member, `${className}.constructor`, 'method');
        else if (ts.isMethodDeclaration(member) || ts.isGetAccessor(member) || ts.isSetAccessor(member)) {
          add(member, `${className}.${memberName}`, 'method');
          for (const route of decoratorRoutes(member, prefix)) add(member, route, 'route');
        } else if (ts.isPropertyDeclaration(member) && member.initializer && isFunctionLike(member.initializer)) {
          add(member, `${className}.${memberName}`, 'method');
        }
      }
    } else if (ts.isVariableStatement(stmt)) {
      const exported = hasExport(stmt);
      for (const decl of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name)) continue;
        if (decl.initializer && isFunctionLike(decl.initializer)) add(decl, decl.name.text, 'function');
        else if (exported) add(decl, decl.name.text, 'export');
      }
    } else if ((ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && hasExport(stmt)) {
      add(stmt, stmt.name.text, 'export');
    } else if (ts.isExportAssignment(stmt)) {
      add(stmt, 'default', 'export');
    } else if (ts.isExportDeclaration(stmt)) {
      if (stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        for (const spec of stmt.exportClause.elements) add(spec, spec.name.text, 'export');
      } else add(stmt, `* from ${stmt.moduleSpecifier?.getText(sf) ?? ''}`, 'export');
    } else if (ts.isExpressionStatement(stmt) && isCommonJsExport(stmt.expression)) {
      const target = (stmt.expression as ts.BinaryExpression).left.getText(sf);
      const right = (stmt.expression as ts.BinaryExpression).right;
      add(stmt, target.replace(/^module\.exports\.?|^exports\./, '') || 'default', isFunctionLike(right) ? 'function' : 'export');
    }
  }
  collectCallRoutes(sf, sf, (node, name) => add(node, name, 'route'));

  const seen = new Map<string, number>();
  return found.map((d) => {
    const base = `${d.kind} ${d.name}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { ...d, key: n === 1 ? base : `${base}#${n}` };
  });
}

/** added / changed / removed declarations between two versions (either may be absent). */
export function compareDeclarations(before: Declaration[], after: Declaration[]): SymbolChange[] {
  const old = new Map(before.map((d) => [d.key, d]));
  const changes: SymbolChange[] = [];
  for (const d of after) {
    const prior = old.get(d.key);
    if (!prior) changes.push({ name: d.name, kind: d.kind, change: 'added' });
    else if (prior.fingerprint !== d.fingerprint) changes.push({ name: d.name, kind: d.kind, change: 'changed' });
    old.delete(d.key);
  }
  for (const d of old.values()) changes.push({ name: d.name, kind: d.kind, change: 'removed' });
  return changes;
}

/** The innermost function, method or route containing `line` (classes and plain exports are too coarse). */
export function enclosingDeclaration(decls: Declaration[], line: number): Declaration | undefined {
  let best: Declaration | undefined;
  for (const d of decls) {
    if (d.kind === 'class' || d.kind === 'export' || line < d.start || line > d.end) continue;
    if (!best || d.end - d.start < best.end - best.start) best = d;
  }
  return best;
}

function isFunctionLike(node: ts.Node): boolean {
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return true;
  // `export const handler = withAuth(async (req) => { ... })`
  if (ts.isCallExpression(node)) return node.arguments.some((a) => ts.isArrowFunction(a) || ts.isFunctionExpression(a));
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) return isFunctionLike(node.expression);
  return false;
}

function hasExport(node: ts.Node): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

function isCommonJsExport(expr: ts.Expression): boolean {
  if (!ts.isBinaryExpression(expr) || expr.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return false;
  const left = expr.left.getText();
  return left === 'module.exports' || left.startsWith('module.exports.') || left.startsWith('exports.');
}

function stringArg(node: ts.Node | undefined): string | undefined {
  if (node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) return node.text;
  return undefined;
}

/** `app.get('/x', ...)`, `router.post('/x', ...)`, `app.route('/x').get(...)`, `app.use('/admin', ...)`. */
function collectCallRoutes(node: ts.Node, sf: ts.SourceFile, add: (node: ts.Node, name: string) => void): void {
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    const method = node.expression.name.text.toLowerCase();
    if (HTTP_METHODS.has(method)) {
      let routePath = stringArg(node.arguments[0]);
      // app.route('/x').get(a).put(b): walk down the chain of method calls to the route('/x') call.
      let receiver = node.expression.expression;
      while (routePath === undefined && ts.isCallExpression(receiver) && ts.isPropertyAccessExpression(receiver.expression)) {
        const name = receiver.expression.name.text;
        if (name === 'route') routePath = stringArg(receiver.arguments[0]);
        else if (!HTTP_METHODS.has(name.toLowerCase())) break;
        receiver = receiver.expression.expression;
      }
      if (routePath !== undefined && (routePath.startsWith('/') || routePath === '*')) {
        add(node, `${method === 'del' ? 'DELETE' : method.toUpperCase()} ${routePath}`);
      }
    }
  }
  ts.forEachChild(node, (child) => collectCallRoutes(child, sf, add));
}

function decoratorCall(node: ts.Node, names: Set<string>): { name: string; arg?: string } | undefined {
  for (const dec of ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []) {
    const e = dec.expression;
    if (ts.isCallExpression(e) && ts.isIdentifier(e.expression) && names.has(e.expression.text)) {
      return { name: e.expression.text, arg: stringArg(e.arguments[0]) };
    }
  }
  return undefined;
}

function controllerPrefix(cls: ts.ClassDeclaration): string {
  const found = decoratorCall(cls, new Set(['Controller']));
  return found?.arg ? `/${found.arg.replace(/^\/|\/$/g, '')}` : '';
}

/** NestJS-style `@Get(':id')` inside `@Controller('orders')`. */
function decoratorRoutes(member: ts.ClassElement, prefix: string): string[] {
  const found = decoratorCall(member, DECORATOR_METHODS);
  if (!found) return [];
  const sub = found.arg ? `/${found.arg.replace(/^\//, '')}` : '';
  return [`${found.name.toUpperCase()} ${prefix + sub || '/'}`];
}

interface Token {
  pos: number;
  text: string;
}

/**
 * Every token of the file with its position, comments and whitespace skipped: one scan per file (the
 * compiler's own scanner, re-scanning template continuations and regular expressions as the parser does).
 * A declaration's fingerprint is the tokens inside its span, so two versions that differ only in comments
 * and layout have equal fingerprints.
 */
function scanTokens(text: string, variant: ts.LanguageVariant): Token[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, variant, text);
  const tokens: Token[] = [];
  const templates: number[] = []; // open braces inside each pending template substitution
  let prev = ts.SyntaxKind.Unknown;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.TemplateHead) templates.push(0);
    else if (kind === ts.SyntaxKind.OpenBraceToken && templates.length) templates[templates.length - 1]!++;
    else if (kind === ts.SyntaxKind.CloseBraceToken && templates.length) {
      if (templates[templates.length - 1] === 0) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) templates.pop();
      } else templates[templates.length - 1]!--;
    } else if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && !endsOperand(prev)) {
      kind = scanner.reScanSlashToken();
    }
    tokens.push({ pos: scanner.getTokenStart(), text: scanner.getTokenText() });
    prev = kind;
  }
  return tokens;
}

/** Whether a `/` after this token is a division (else it starts a regular expression). */
function endsOperand(kind: ts.SyntaxKind): boolean {
  return (
    kind === ts.SyntaxKind.Identifier ||
    kind === ts.SyntaxKind.CloseParenToken ||
    kind === ts.SyntaxKind.CloseBracketToken ||
    kind === ts.SyntaxKind.CloseBraceToken ||
    kind === ts.SyntaxKind.PlusPlusToken ||
    kind === ts.SyntaxKind.MinusMinusToken ||
    kind === ts.SyntaxKind.ThisKeyword ||
    kind === ts.SyntaxKind.SuperKeyword ||
    kind === ts.SyntaxKind.TrueKeyword ||
    kind === ts.SyntaxKind.FalseKeyword ||
    kind === ts.SyntaxKind.NullKeyword ||
    (kind >= ts.SyntaxKind.FirstLiteralToken && kind <= ts.SyntaxKind.LastTemplateToken)
  );
}

/** The tokens in [start, end) joined by spaces. */
function tokensIn(tokens: Token[], start: number, end: number): string {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.pos < start) lo = mid + 1;
    else hi = mid;
  }
  const parts: string[] = [];
  for (let i = lo; i < tokens.length && tokens[i]!.pos < end; i++) parts.push(tokens[i]!.text);
  return parts.join(' ');
}
