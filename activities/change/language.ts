import path from 'node:path';

/**
 * The language of a file from its name: decides which analysis runs on it (TypeScript compiler, line
 * patterns, manifest parsers) and which lines are comments. Path rules (model/change.ts) decide risk; this
 * only decides how to read the file.
 */
const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript',
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
  vue: 'vue', svelte: 'svelte',
  py: 'python', go: 'go', rb: 'ruby', java: 'java', kt: 'kotlin', kts: 'kotlin', scala: 'scala',
  cs: 'csharp', fs: 'fsharp', rs: 'rust', php: 'php', swift: 'swift', dart: 'dart', lua: 'lua', pl: 'perl',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', hpp: 'cpp', m: 'objc', mm: 'objc', ex: 'elixir', exs: 'elixir',
  erl: 'erlang', clj: 'clojure', r: 'r',
  sh: 'shell', bash: 'shell', zsh: 'shell', ps1: 'powershell',
  sql: 'sql', prisma: 'prisma', graphql: 'graphql', gql: 'graphql', proto: 'protobuf',
  yaml: 'yaml', yml: 'yaml', json: 'json', jsonc: 'json', json5: 'json', toml: 'toml', ini: 'ini', cfg: 'ini',
  conf: 'ini', properties: 'properties', env: 'env', xml: 'xml', tf: 'hcl', tfvars: 'hcl', hcl: 'hcl', nomad: 'hcl',
  md: 'markdown', mdx: 'markdown', markdown: 'markdown', rst: 'markdown', adoc: 'markdown', txt: 'text',
  css: 'css', scss: 'css', sass: 'css', less: 'css', styl: 'css', pcss: 'css',
  html: 'html', htm: 'html', hbs: 'html', ejs: 'html', njk: 'html', mustache: 'html', liquid: 'html',
  png: 'image', jpg: 'image', jpeg: 'image', gif: 'image', svg: 'image', webp: 'image', avif: 'image', ico: 'image',
  woff: 'font', woff2: 'font', ttf: 'font', otf: 'font', eot: 'font',
  lock: 'lockfile',
};

const BY_NAME: Record<string, string> = {
  dockerfile: 'dockerfile', containerfile: 'dockerfile', makefile: 'make', jenkinsfile: 'groovy',
  gemfile: 'ruby', rakefile: 'ruby', procfile: 'text', 'go.mod': 'gomod', 'go.sum': 'lockfile',
  'package-lock.json': 'lockfile', 'npm-shrinkwrap.json': 'lockfile', 'pnpm-lock.yaml': 'lockfile',
  'yarn.lock': 'lockfile', 'cargo.lock': 'lockfile', 'poetry.lock': 'lockfile', 'gemfile.lock': 'lockfile',
  'composer.lock': 'lockfile', 'pipfile.lock': 'lockfile', 'uv.lock': 'lockfile', pipfile: 'toml',
  '.env': 'env', codeowners: 'text', license: 'text',
};

export function languageOf(file: string): string {
  const base = path.posix.basename(file).toLowerCase();
  const named = BY_NAME[base];
  if (named) return named;
  if (base.startsWith('dockerfile') || base.endsWith('.dockerfile')) return 'dockerfile';
  if (base.startsWith('.env')) return 'env';
  if (/^requirements.*\.txt$/.test(base)) return 'requirements';
  const ext = base.includes('.') ? base.slice(base.lastIndexOf('.') + 1) : '';
  return BY_EXTENSION[ext] ?? 'other';
}

/** Parsed with the TypeScript compiler API (both versions). */
export const isScript = (language: string): boolean => language === 'typescript' || language === 'javascript';

/** Prose, styles, markup and media: outside every build context the analyzer reads no meaning into their lines. */
const INERT = new Set(['markdown', 'text', 'css', 'html', 'image', 'font']);
export const isInertLanguage = (language: string): boolean => INERT.has(language);

/**
 * HTML and the template languages read as HTML (EJS, Handlebars, Nunjucks, Mustache, Liquid): a service
 * renders them, and their tags run code (`<% %>`, `{{ }}`, `<script>`). Inside a build context they are code.
 */
export const isTemplate = (language: string): boolean => language === 'html';

/** Prose: its words describe, they do not run. Inside a build context only its embedded code is judged. */
export const isProse = (language: string): boolean => language === 'markdown' || language === 'text';

/** Key/value files whose changed lines are read with the key path around them. */
const CONFIG = new Set(['yaml', 'json', 'toml', 'ini', 'properties', 'env', 'xml', 'hcl']);
export const isConfigLanguage = (language: string): boolean => CONFIG.has(language);

const HASH_COMMENTS = new Set(['python', 'ruby', 'shell', 'yaml', 'toml', 'ini', 'properties', 'env', 'dockerfile', 'make', 'perl', 'r', 'elixir', 'hcl', 'requirements', 'powershell']);
const SLASH_COMMENTS = new Set(['typescript', 'javascript', 'vue', 'svelte', 'go', 'java', 'kotlin', 'scala', 'csharp', 'fsharp', 'rust', 'php', 'swift', 'dart', 'c', 'cpp', 'objc', 'groovy', 'prisma', 'protobuf', 'json', 'hcl']);
const DASH_COMMENTS = new Set(['sql', 'lua']);

/** Whether a changed line is only a comment (its words say nothing about what the code does). */
export function isCommentLine(language: string, text: string): boolean {
  const t = text.trim();
  if (t === '') return true;
  if (HASH_COMMENTS.has(language) && t.startsWith('#') && !(language === 'python' && t.startsWith('#!'))) return true;
  if (SLASH_COMMENTS.has(language) && (t.startsWith('//') || t.startsWith('/*') || t.startsWith('*'))) return true;
  if (DASH_COMMENTS.has(language) && t.startsWith('--')) return true;
  if (language === 'php' && t.startsWith('#')) return true;
  return false;
}
