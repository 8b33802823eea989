/**
 * Path globs as anchored, case-insensitive regular expressions, for the path rules. The usual glob
 * language, as in .gitignore and picomatch: `**` any number of directories (`**\/x` also matches `x` at the
 * top), `*` any characters but `/`, `?` one character but `/`, `{a,b}` alternatives (nestable), `[abc]` /
 * `[!abc]` character classes; anything else is literal. Dot files match like any other file. Linear-time
 * regexes (no lookarounds), so classifying a large change stays cheap.
 */
export function globToRegExp(glob: string): RegExp {
  // A leading `**/` is "at the top or after any slash": unanchored, which V8 matches much faster than
  // the equivalent `^(?:[^/]*/)*`.
  if (glob.startsWith('**/')) return new RegExp(`(?:^|/)${translate(glob.slice(3))}$`, 'i');
  return new RegExp(`^${translate(glob)}$`, 'i');
}

function translate(glob: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atStart = i === 0 || glob[i - 1] === '/';
        const slashAfter = glob[i + 2] === '/';
        const atEnd = i + 2 === glob.length;
        if (atStart && slashAfter) {
          out += '(?:[^/]*/)*'; // `**/`: zero or more directories
          i += 2;
          continue;
        }
        if (atStart && atEnd) {
          out += '.*';
          i += 1;
          continue;
        }
        out += '[^/]*'; // `**` inside a name is a plain star
        i += 1;
        continue;
      }
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      out += '(?:';
      depth++;
    } else if (c === '}' && depth > 0) {
      out += ')';
      depth--;
    } else if (c === ',' && depth > 0) out += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        const body = glob.slice(i + 1, close);
        const negated = body.startsWith('!') || body.startsWith('^');
        const chars = (negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&');
        out += negated ? `[^/${chars}]` : `[${chars}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) {
      out += escape(glob[++i]!);
    } else out += escape(c);
  }
  return out + ')'.repeat(depth);
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
