/**
 * What the build needs to know from a Dockerfile and a .dockerignore, without running them.
 */

/** Logical lines: comments dropped, backslash continuations joined. */
function instructions(dockerfile: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const raw of dockerfile.split(/\r?\n/)) {
    const line = raw.trim();
    if (current === '' && (line.startsWith('#') || line === '')) continue;
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    out.push((current + line).trim());
    current = '';
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/**
 * The base image of the final stage: the last FROM, followed through stage names (`FROM build AS app`).
 * Undefined for a Dockerfile without FROM; `scratch` is returned as is.
 */
export function finalBaseImage(dockerfile: string): string | undefined {
  const stages = new Map<string, string>();
  let last: string | undefined;
  for (const ins of instructions(dockerfile)) {
    const m = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(ins);
    if (!m) continue;
    const image = stages.get(m[1]!.toLowerCase()) ?? m[1]!;
    if (m[2]) stages.set(m[2].toLowerCase(), image);
    last = image;
  }
  return last;
}

/**
 * .dockerignore patterns as git pathspecs that exclude them from `git archive`. Docker applies
 * .dockerignore on the client, so airlock, the client here, must. Negated patterns (`!keep.txt`) are
 * not supported and are returned in `unsupported`.
 */
export function dockerignorePathspecs(dockerignore: string): { pathspecs: string[]; unsupported: string[] } {
  const pathspecs: string[] = [];
  const unsupported: string[] = [];
  for (const raw of dockerignore.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('!')) {
      unsupported.push(line);
      continue;
    }
    const p = line.replace(/^\/+/, '').replace(/\/+$/, '');
    if (!p || p === '.' || p === '*' || p === '**') {
      unsupported.push(line); // excluding everything would leave an empty context
      continue;
    }
    pathspecs.push(`:(exclude,glob)${p}`, `:(exclude,glob)${p}/**`);
  }
  return { pathspecs, unsupported };
}
