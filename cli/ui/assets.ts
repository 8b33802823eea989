import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The page's script and style sheet: plain files in cli/ui/static, served as they are (no build step).
// From the compiled CLI (dist/cli/ui) they are read from the source tree, which ships with the package.

const DIRS = [join(__dirname, 'static'), join(__dirname, '..', '..', '..', 'cli', 'ui', 'static')];

export const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'style.css': 'text/css; charset=utf-8' };

const cache = new Map<string, string>();

/** The text of static asset `name` (one of ASSETS), read once. */
export function asset(name: string): string {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const dir = DIRS.find((d) => existsSync(join(d, name)));
  if (!dir) throw new Error(`dashboard asset ${name} not found in ${DIRS.join(' or ')}`);
  const text = readFileSync(join(dir, name), 'utf8');
  cache.set(name, text);
  return text;
}
