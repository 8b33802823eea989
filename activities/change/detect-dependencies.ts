import path from 'node:path';
import type { Finding } from '../../model/change';
import { where, type FileContext } from './file-context';
import { topicsIn } from './vocabulary';

/**
 * Dependencies added, upgraded, downgraded or removed. package.json and package-lock.json are compared as
 * JSON; requirements*.txt, go.mod and Gemfile line by line; other manifests and lockfiles are reported as
 * changed without versions. Dockerfile base images (FROM) and package installs count too. A dependency whose
 * name is security-sensitive (`jsonwebtoken`, `stripe`, `bcrypt`) also raises that topic.
 */
const OTHER_MANIFESTS = /^(?:pyproject\.toml|cargo\.toml|composer\.json|pom\.xml|build\.gradle(?:\.kts)?|pipfile|mix\.exs|pubspec\.yaml|.*\.csproj|setup\.py|setup\.cfg|deno\.json|bower\.json)$/i;
const NPM_SECTIONS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** Whether the file is read only as a dependency list (its lines are not scanned for other signals). */
export function isDependencyFile(file: string, language: string): boolean {
  const base = path.posix.basename(file).toLowerCase();
  return language === 'lockfile' || language === 'requirements' || language === 'gomod' || base === 'package.json' || base === 'gemfile' || OTHER_MANIFESTS.test(base);
}

type Versions = Map<string, string>;

export function dependencyFindings(ctx: FileContext): Finding[] {
  const base = path.posix.basename(ctx.path).toLowerCase();
  if (ctx.language === 'dockerfile') return dockerfileFindings(ctx);
  let read: ((text: string) => Versions) | undefined;
  if (base === 'package.json') read = npmManifest;
  else if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') read = npmLock;
  else if (ctx.language === 'requirements') read = requirements;
  else if (ctx.language === 'gomod') read = goMod;
  else if (base === 'gemfile') read = gemfile;
  if (read) {
    try {
      return compareVersions(ctx.path, read(ctx.oldText ?? ''), read(ctx.newText ?? ''), base.includes('lock') || base.includes('shrinkwrap'));
    } catch {
      return [{ kind: 'dependencies', detail: `dependency file changed (could not be parsed): ${countLines(ctx)}` }];
    }
  }
  if (ctx.language === 'lockfile' || OTHER_MANIFESTS.test(base)) {
    return ctx.lines.length ? [{ kind: 'dependencies', detail: `${ctx.language === 'lockfile' ? 'lockfile' : 'dependency manifest'} changed: ${countLines(ctx)}` }] : [];
  }
  return [];
}

function countLines(ctx: FileContext): string {
  const added = ctx.lines.filter((l) => l.side === 'added').length;
  return `+${added} -${ctx.lines.length - added} lines`;
}

function compareVersions(file: string, before: Versions, after: Versions, lockfile: boolean): Finding[] {
  const changes: string[] = [];
  const names: string[] = [];
  for (const [name, version] of after) {
    const prior = before.get(name);
    if (prior === undefined) changes.push(`${name} ${version} added`);
    else if (prior !== version) changes.push(`${name} ${prior} -> ${version} (${direction(prior, version)})`);
    else continue;
    names.push(name);
  }
  for (const [name, version] of before) {
    if (!after.has(name)) {
      changes.push(`${name} ${version} removed`);
      names.push(name);
    }
  }
  if (changes.length === 0) return [];
  const shown = changes.slice(0, 6).join(', ') + (changes.length > 6 ? `, and ${changes.length - 6} more` : '');
  const what = lockfile ? `${changes.length} locked package(s) changed` : `${changes.length} dependenc${changes.length === 1 ? 'y' : 'ies'} changed`;
  const findings: Finding[] = [{ kind: 'dependencies', detail: `${what}: ${shown}` }];
  if (!lockfile) {
    for (const name of names) {
      for (const hit of topicsIn(name, false)) findings.push({ kind: hit.topic, detail: `dependency ${name} changed in ${path.posix.basename(file)} ("${hit.word}")` });
    }
  }
  return findings;
}

function direction(before: string, after: string): string {
  const a = numbers(before);
  const b = numbers(after);
  if (a.length === 0 || b.length === 0) return 'changed';
  if (a[0] !== b[0]) return (b[0] ?? 0) > (a[0] ?? 0) ? 'major upgrade' : 'major downgrade';
  for (let i = 1; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (b[i] ?? 0) > (a[i] ?? 0) ? 'upgrade' : 'downgrade';
  }
  return 'changed';
}

const numbers = (v: string): number[] => (/(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? '').split('.').filter(Boolean).map(Number);

function npmManifest(text: string): Versions {
  const out: Versions = new Map();
  if (!text.trim()) return out;
  const json = JSON.parse(text) as Record<string, unknown>;
  for (const section of NPM_SECTIONS) {
    const deps = json[section];
    if (deps && typeof deps === 'object') for (const [name, v] of Object.entries(deps)) out.set(name, String(v));
  }
  return out;
}

function npmLock(text: string): Versions {
  const out: Versions = new Map();
  if (!text.trim()) return out;
  const json = JSON.parse(text) as { packages?: Record<string, { version?: string }>; dependencies?: Record<string, { version?: string }> };
  if (json.packages) {
    for (const [key, p] of Object.entries(json.packages)) if (key) out.set(key.replace(/^node_modules\//, '').replace(/\/node_modules\//g, '>'), String(p.version ?? ''));
  } else if (json.dependencies) {
    for (const [name, p] of Object.entries(json.dependencies)) out.set(name, String(p.version ?? ''));
  }
  return out;
}

function requirements(text: string): Versions {
  const out: Versions = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*((?:[=<>!~]=?|===)\s*[^\s;#]+)?/.exec(line);
    if (m?.[1] && !line.trim().startsWith('-')) out.set(m[1].toLowerCase(), (m[2] ?? '').replace(/\s+/g, ''));
  }
  return out;
}

function goMod(text: string): Versions {
  const out: Versions = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*(?:require\s+)?([\w.~-]+\.[\w.~-]+(?:\/[\w.~+-]+)*)\s+(v[\w.+-]+)/.exec(line);
    if (m?.[1] && m[2] && !/^\s*(?:module|go|replace|exclude|retract)\b/.test(line)) out.set(m[1], m[2]);
  }
  return out;
}

function gemfile(text: string): Versions {
  const out: Versions = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*gem\s+['"]([^'"]+)['"](?:\s*,\s*['"]([^'"]+)['"])?/.exec(line);
    if (m?.[1]) out.set(m[1], m[2] ?? '');
  }
  return out;
}

const FROM = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)/i;
const INSTALL = /\b(?:apt-get\s+install|apt\s+install|apk\s+add|yum\s+install|dnf\s+install|pip3?\s+install|npm\s+(?:install|i)\s+-g|gem\s+install|go\s+install|cargo\s+install)\b|\b(?:curl|wget)\b[^|]*\|\s*(?:ba|z)?sh\b/;

function dockerfileFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  const removedFrom = ctx.lines.filter((l) => l.side === 'removed').map((l) => FROM.exec(l.text)?.[1]).filter(Boolean);
  for (const l of ctx.lines) {
    if (l.side !== 'added' || l.comment || l.moved) continue;
    const image = FROM.exec(l.text)?.[1];
    if (image) {
      findings.push({ kind: 'dependencies', detail: `base image ${removedFrom.length ? `${removedFrom.join(', ')} -> ` : ''}${image} (line ${l.line})`, line: l.line });
    } else if (INSTALL.test(l.text)) {
      findings.push({ kind: 'dependencies', detail: `installs packages: ${where(l)}`, line: l.line });
    }
  }
  return findings;
}
