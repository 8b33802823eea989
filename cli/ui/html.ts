import { redactText } from '../../model/redact';

// Every value a page shows passes through esc: the one redaction function (model/redact.ts) first, so no
// secret read from a history, a scan or a failure reaches the browser, then HTML escaping.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(value: unknown): string {
  return redactText(String(value ?? '')).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A link to a pipeline's page (ids contain slashes: the id goes in the query string). */
export const pipelineHref = (id: string): string => `/pipeline?id=${encodeURIComponent(id)}`;

export const clock = (at?: string): string => (at ? at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
export const secs = (ms?: number): string => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);

/** How long ago `at` was, for the list's age column. */
export function age(at: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(at)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

const NAV = [
  ['/', 'Pipelines'],
  ['/releases', 'Releases'],
  ['/metrics', 'Metrics'],
] as const;

/** The page around `body`: no inline script or style (the CSP allows only /static/ files). */
export function layout(title: string, active: string, body: string): string {
  const nav = NAV.map(([href, label]) => `<a href="${href}"${href === active ? ' aria-current="page"' : ''}>${label}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · airlock</title>
<link rel="stylesheet" href="/static/style.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header><a class="brand" href="/">airlock</a><nav aria-label="main">${nav}</nav></header>
<main>
${body}
</main>
</body>
</html>
`;
}
