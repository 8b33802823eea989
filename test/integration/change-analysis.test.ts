import { symlinkSync } from 'node:fs';
import { analyzeChange } from '../../activities/change';
import type { ChangedFile } from '../../model/change';
import { TempRepo } from '../support/git-repo';

// What the analyzer reports about a real git range: files, statuses, line counts, renames, binaries,
// symbols (TypeScript compiler on both versions; patterns + git hunk context for other languages),
// dependencies, authors.

let repo: TempRepo;
let base: string;

const file = (files: ChangedFile[], path: string): ChangedFile => {
  const found = files.find((f) => f.path === path);
  if (!found) throw new Error(`${path} not in the analysis: ${files.map((f) => f.path).join(', ')}`);
  return found;
};

beforeAll(() => {
  repo = TempRepo.create();
  base = repo.commit('base', {
    'src/cart.ts': `/** Cart maths. */
export function subtotal(items: { price: number; qty: number }[]): number {
  return items.reduce((n, i) => n + i.price * i.qty, 0);
}

export function shipping(total: number): number {
  return total > 5000 ? 0 : 495;
}

export class Cart {
  private items: { sku: string; price: number; qty: number }[] = [];

  add(sku: string, price: number) {
    this.items.push({ sku, price, qty: 1 });
  }

  clear() {
    this.items = [];
  }
}

export const VERSION = '1';
`,
    'src/legacy.js': "module.exports.ping = function ping() {\n  return 'pong';\n};\n",
    'src/controllers/reports.controller.ts': `import { Controller, Get } from '@nestjs/common';

@Controller('reports')
export class ReportsController {
  @Get('daily')
  daily() {
    return [];
  }
}
`,
    'app/views.py': `from flask import Flask

app = Flask(__name__)


def total(items):
    result = 0
    for item in items:
        result += item["price"]
    return result


@app.route("/health")
def health():
    return "ok"
`,
    'cmd/server/main.go': `package main

import "fmt"

func greet(name string) string {
\tmessage := "hello " + name
\treturn message
}

func main() {
\tfmt.Println(greet("world"))
}
`,
    'requirements.txt': 'flask==3.0.0\nrequests==2.31.0\n',
    'go.mod': 'module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/google/uuid v1.5.0\n)\n',
    'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]),
    'notes/old name.txt': 'a file with a space in its name\n',
    'data/seed.json': '{"a": 1}\n',
  }, 'alice@shop.example');
});
afterAll(() => repo.remove());

test('statuses, line counts, renames, binaries and odd names', async () => {
  repo.at(base);
  repo.write({ 'notes/new näme.txt': repo.read('notes/old name.txt') + 'and one more line\n', 'notes/old name.txt': null });
  const head = repo.commit('change', {
    'src/legacy.js': null,
    'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 9, 9, 9, 9]),
    'src/new-module.ts': 'export const answer = 42;\n',
    'data/seed.json': '{"a": 2}\n',
  });
  const analysis = await analyzeChange({ repo: repo.dir, base, head });
  const summary = analysis.files.map((f) => [f.path, f.status, f.additions, f.deletions, f.binary, f.previousPath]);
  expect(summary).toEqual([
    ['assets/logo.png', 'modified', 0, 0, true, undefined],
    ['data/seed.json', 'modified', 1, 1, false, undefined],
    ['notes/new näme.txt', 'renamed', 1, 0, false, 'notes/old name.txt'],
    ['src/legacy.js', 'deleted', 0, 3, false, undefined],
    ['src/new-module.ts', 'added', 1, 0, false, undefined],
  ]);
  expect(analysis.stats).toEqual({ files: 5, additions: 3, deletions: 4, binary: 1, renamed: 1 });
  expect(analysis.base).toEqual({ ref: base, sha: base });
  expect(file(analysis.files, 'src/legacy.js').symbols).toEqual([{ name: 'ping', kind: 'function', change: 'removed' }]);
  expect(file(analysis.files, 'src/new-module.ts').symbols).toEqual([{ name: 'answer', kind: 'export', change: 'added' }]);
});

test('TypeScript: functions, methods, classes and exports added, changed and removed; comments and layout ignored', async () => {
  repo.at(base);
  const before = repo.read('src/cart.ts');
  const after = before
    .replace('/** Cart maths. */', '/** Cart maths, in cents. */') // comment only
    .replace('return total > 5000 ? 0 : 495;', 'return total >= 5000 ? 0 : 495;') // behaviour
    .replace('  clear() {\n    this.items = [];\n  }\n', '  remove(sku: string) {\n    this.items = this.items.filter((i) => i.sku !== sku);\n  }\n')
    .replace('export function subtotal(items: { price: number; qty: number }[]): number {', 'export function subtotal(\n  items: { price: number; qty: number }[]\n): number {') // layout only
    .replace("export const VERSION = '1';", "export const VERSION = '2';\n\nexport const tax = (cents: number) => Math.round(cents * 0.2);");
  const head = repo.commit('cart', { 'src/cart.ts': after }, 'bob@shop.example');
  const analysis = await analyzeChange({ repo: repo.dir, base, head: 'HEAD' });
  const cart = file(analysis.files, 'src/cart.ts');
  expect(cart.symbolMethod).toBe('typescript');
  expect(cart.symbols).toEqual(
    expect.arrayContaining([
      { name: 'shipping', kind: 'function', change: 'changed' },
      { name: 'Cart.remove', kind: 'method', change: 'added' },
      { name: 'Cart.clear', kind: 'method', change: 'removed' },
      { name: 'VERSION', kind: 'export', change: 'changed' },
      { name: 'tax', kind: 'function', change: 'added' },
    ]),
  );
  expect(cart.symbols).toHaveLength(5); // subtotal (layout) and the doc comment are not changes
  expect(analysis.head).toEqual({ ref: 'HEAD', sha: head });
  expect(analysis.authors).toEqual(['bob@shop.example']);
});

test('decorator routes (NestJS) are found with their controller prefix', async () => {
  repo.at(base);
  const ctl = repo.read('src/controllers/reports.controller.ts').replace(
    '  daily() {\n    return [];\n  }\n',
    "  daily() {\n    return [];\n  }\n\n  @Get('monthly/:month')\n  monthly() {\n    return [];\n  }\n",
  );
  const head = repo.commit('monthly', { 'src/controllers/reports.controller.ts': ctl });
  const analysis = await analyzeChange({ repo: repo.dir, base, head });
  expect(file(analysis.files, 'src/controllers/reports.controller.ts').symbols).toEqual([
    { name: 'ReportsController.monthly', kind: 'method', change: 'added' },
    { name: 'GET /reports/monthly/:month', kind: 'route', change: 'added' },
  ]);
});

test('other languages: definitions and routes by pattern, changes inside a function by git hunk context', async () => {
  repo.at(base);
  const py = repo.read('app/views.py')
    .replace('        result += item["price"]', '        result += item["price"] * item.get("qty", 1)')
    .concat('\n\n@app.route("/ready")\ndef ready():\n    return "ok"\n');
  const go = repo.read('cmd/server/main.go').replace('message := "hello " + name', 'message := "hi " + name');
  const head = repo.commit('py+go', { 'app/views.py': py, 'cmd/server/main.go': go });
  const analysis = await analyzeChange({ repo: repo.dir, base, head });
  const views = file(analysis.files, 'app/views.py');
  expect(views.symbolMethod).toBe('patterns');
  expect(views.symbols).toEqual(
    expect.arrayContaining([
      { name: 'total', kind: 'function', change: 'changed' },
      { name: 'ready', kind: 'function', change: 'added' },
      { name: 'ANY /ready', kind: 'route', change: 'added' },
    ]),
  );
  expect(file(analysis.files, 'cmd/server/main.go').symbols).toEqual([{ name: 'greet', kind: 'function', change: 'changed' }]);
});

test('dependency manifests: requirements.txt and go.mod versions compared', async () => {
  repo.at(base);
  const head = repo.commit('deps', {
    'requirements.txt': 'flask==3.0.3\nrequests==2.31.0\nstripe==9.1.0\n',
    'go.mod': 'module example.com/shop\n\ngo 1.22\n\nrequire (\n\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/crypto v0.24.0\n)\n',
  });
  const analysis = await analyzeChange({ repo: repo.dir, base, head });
  const reqs = file(analysis.files, 'requirements.txt').findings.map((f) => `${f.kind}: ${f.detail}`);
  expect(reqs).toContain('dependencies: 2 dependencies changed: flask ==3.0.0 -> ==3.0.3 (upgrade), stripe ==9.1.0 added');
  expect(reqs).toContain('payments: dependency stripe changed in requirements.txt ("stripe")');
  const gomod = file(analysis.files, 'go.mod').findings.map((f) => f.detail);
  expect(gomod).toContain('2 dependencies changed: github.com/google/uuid v1.5.0 -> v1.6.0 (upgrade), golang.org/x/crypto v0.24.0 added');
});

test('a file replaced by a symlink is a type change', async () => {
  repo.at(base);
  repo.write({ 'data/seed.json': null });
  repo.git('rm', '-q', '--cached', 'data/seed.json');
  symlinkSync('../requirements.txt', `${repo.dir}/data/seed.json`);
  const head = repo.commit('symlink');
  const analysis = await analyzeChange({ repo: repo.dir, base, head });
  expect(file(analysis.files, 'data/seed.json')).toMatchObject({ status: 'type-changed', additions: 1, deletions: 1 });
});

test('--repo may be a subdirectory (a service in a monorepo): the whole change is analyzed', async () => {
  repo.at(base);
  const head = repo.commit('webhook', {
    'src/hooks.ts': "export const notify = () => fetch('https://hooks.partner.io/x');\n",
    'app/views.py': repo.read('app/views.py').replace('return "ok"', 'return "OK"'),
  });
  const analysis = await analyzeChange({ repo: `${repo.dir}/app`, base, head });
  expect(analysis.files.map((f) => f.path)).toEqual(['app/views.py', 'src/hooks.ts']);
  expect(file(analysis.files, 'src/hooks.ts').findings.map((f) => f.kind)).toContain('external-integration');
});

test('build contexts: a service directory minus its .dockerignore, at base and head; no airlock.yaml means the whole repository', async () => {
  const mono = TempRepo.create();
  try {
    const start = mono.commit('base', {
      'services/api/airlock.yaml': 'service: api\nbuild:\n  context: app\n',
      'services/api/app/Dockerfile': 'FROM node:20\nCOPY . .\n',
      'services/api/app/.dockerignore': 'docs\n*.md\n',
      'services/api/app/src/main.js': 'module.exports = 1;\n',
      'services/api/app/src/old.js': 'module.exports = 2;\n',
      'services/api/notes.md': 'notes\n',
      'tools/legacy.js': 'module.exports = 3;\n',
    });
    mono.write({ 'tools/old.js': mono.read('services/api/app/src/old.js'), 'services/api/app/src/old.js': null });
    mono.write({ 'services/api/app/src/legacy.js': mono.read('tools/legacy.js'), 'tools/legacy.js': null });
    const head = mono.commit('change', {
      'services/api/app/src/main.js': 'module.exports = 10;\n',
      'services/api/app/docs/guide.md': 'guide\n',
      'services/api/app/README.md': 'readme\n',
      'services/api/app/sub/README.md': 'nested readme\n',
      'services/api/notes.md': 'more notes\n',
    });
    const analysis = await analyzeChange({ repo: mono.dir, base: start, head });
    expect(analysis.buildContexts).toEqual(['services/api/app']);
    expect(Object.fromEntries(analysis.files.map((f) => [f.path, f.buildContext]))).toEqual({
      'services/api/app/README.md': 'outside', // *.md: the top of the context only, as git archive reads it
      'services/api/app/docs/guide.md': 'outside',
      'services/api/app/src/legacy.js': 'entered',
      'services/api/app/src/main.js': 'inside',
      'services/api/app/sub/README.md': 'inside',
      'services/api/notes.md': 'outside',
      'tools/old.js': 'left',
    });
    expect(analysis.touchesGates).toBe(false);

    const bare = await analyzeChange({ repo: repo.dir, base, head: base });
    expect(bare.buildContexts).toEqual(['.']);
  } finally {
    mono.remove();
  }
});

test('the same commit as base and head is an empty change', async () => {
  const analysis = await analyzeChange({ repo: repo.dir, base, head: base });
  expect(analysis.files).toEqual([]);
  expect(analysis.authors).toEqual([]);
  expect(analysis.touchesGates).toBe(false);
});
