import type { Finding } from '../../model/change';
import { where, type ChangedLine, type FileContext } from './file-context';
import { isConfigLanguage } from './language';

/**
 * Network access patterns: listening ports (EXPOSE, `ports:`, `containerPort`, `.listen(`), HTTP and socket
 * clients new to the file (an import or call that the base version of the file did not have), and the
 * hosts of URLs in added lines. Whether a host is new to the whole repository is decided by analyzeChange
 * (it greps the base commit), which turns new outside hosts into `external-integration` findings.
 */
const CLIENTS: { name: string; re: RegExp }[] = [
  { name: 'fetch', re: /\bfetch\s*\(/ },
  { name: 'axios', re: /\baxios\b/ },
  { name: 'node http(s)', re: /\bhttps?\.(?:request|get)\s*\(|['"](?:node:)?https?['"]/ },
  { name: 'undici', re: /['"]undici['"]|\bundici\./ },
  { name: 'got/superagent/ky/needle', re: /['"](?:got|superagent|ky|needle|node-fetch|cross-fetch|request)['"]/ },
  { name: 'WebSocket', re: /\bnew\s+WebSocket\s*\(|['"]ws['"]|socket\.io-client/ },
  { name: 'raw sockets', re: /['"](?:node:)?(?:net|tls|dgram)['"]|\bnet\.connect\s*\(|\bsocket\.socket\s*\(/ },
  { name: 'gRPC', re: /@grpc\/grpc-js|\bgrpc\.(?:insecure_channel|secure_channel|Dial)\b|google\.golang\.org\/grpc/ },
  { name: 'python requests/httpx/aiohttp', re: /^\s*(?:import|from)\s+(?:requests|httpx|aiohttp|urllib3?|http\.client)\b|\brequests\.(?:get|post|put|delete|patch|request)\s*\(/ },
  { name: 'Go net/http', re: /"net\/http"|\bhttp\.(?:Get|Post|NewRequest\w*)\s*\(/ },
  { name: 'mail/SMS client', re: /['"](?:nodemailer|@sendgrid\/mail|twilio|smtplib)['"]|^\s*import\s+smtplib/ },
  { name: 'curl/wget', re: /\b(?:curl|wget)\s+\S*https?:/ },
];

/** `port`, `ports`, `containerPort`, `http_port`, `PORT` (not `exports`). */
const PORT_KEY = /^(?:ports?|PORTS?|Ports?)$|[a-z0-9]Ports?$|[_.-](?:ports?|PORTS?)$/;
const LISTEN = /\.listen\s*\(|\bcreateServer\s*\(|^\s*EXPOSE\s+\d+|\b(?:containerPort|hostPort|targetPort|nodePort)\s*:|\bListenAndServe\w*\s*\(/;

export interface HostUse {
  host: string;
  line: ChangedLine;
  webhook: boolean;
}

export function networkFindings(ctx: FileContext): Finding[] {
  const findings: Finding[] = [];
  const config = isConfigLanguage(ctx.language) || ctx.language === 'dockerfile';
  for (const l of ctx.lines) {
    if (l.comment || l.moved) continue;
    const lastKey = l.keys?.[l.keys.length - 1] ?? '';
    if (LISTEN.test(l.text) || (config && (PORT_KEY.test(lastKey) || (l.keys ?? []).includes('ports')))) {
      findings.push({ kind: 'network', detail: `listening port or exposure: ${where(l)}`, line: l.line, symbol: l.symbol });
    }
    if (l.side !== 'added') continue;
    for (const c of CLIENTS) {
      if (c.re.test(l.text) && !(ctx.oldText !== undefined && c.re.test(ctx.oldText))) {
        findings.push({ kind: 'network', detail: `new ${c.name} client: ${where(l)}`, line: l.line, symbol: l.symbol });
      }
    }
  }
  return findings;
}

/** The authority may hold template parts (`${region}.api.io`, `{{ tenant }}.api.io`, `<%= env %>.api.io`). */
const URL =
  /\b(?:https?|wss?|ftp|grpcs?|amqps?|mqtts?|redis|rediss|postgres(?:ql)?|mysql|mongodb(?:\+srv)?|smtps?):\/\/((?:\$\{[^}\s]*\}|\{\{[^}]*\}\}|<%=?[^%]*%>|[^\s/'"`<>)\]}?#,;])+)/gi;
/** An anchor's target: a link the user may follow, not a call the service or the page makes. */
const ANCHOR = /<a\b[^>]*\bhref\s*=\s*["']?$/i;
const LOCAL = /^(?:localhost|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(?:1[6-9]|2\d|3[01])\.\d+\.\d+|0\.0\.0\.0|\[?::1\]?|host\.docker\.internal|[\w-]+)$|\.(?:local|localhost|internal|svc|cluster\.local|test|example|invalid|lan|home\.arpa)$|(?:^|\.)example\.(?:com|org|net)$/i;
const SCHEMA_HOSTS = /(?:^|\.)(?:w3\.org|json-schema\.org|schemas\.xmlsoap\.org|xmlsoap\.org|schema\.org|purl\.org|opensource\.org|spdx\.org|creativecommons\.org)$/i;

/** Outside hosts named by URLs in a file's changed lines (not local, not placeholders, not links; a templated subdomain counts as its fixed part). */
export function hostsIn(ctx: FileContext, side: 'added' | 'removed'): HostUse[] {
  const out: HostUse[] = [];
  for (const l of ctx.lines) {
    if (l.side !== side || l.comment) continue;
    for (const m of l.text.matchAll(URL)) {
      const host = hostOf(m[1] ?? '');
      if (!host || ANCHOR.test(l.text.slice(0, m.index))) continue;
      out.push({ host, line: l, webhook: /hook/i.test(l.text) || /hook/i.test(host) });
    }
  }
  return out;
}

function hostOf(authority: string): string | undefined {
  // A templated part at the end is a path or port; before the host it is a subdomain at most: the fixed
  // part after the last one is the host that is called.
  const fixed = authority.replace(/(?:\$\{[^}]*\}|\{\{[^}]*\}\}|<%=?[^%]*%>)+$/, '').replace(/^.*(?:\}|%>)/, '').replace(/^[.-]+/, '');
  const host = fixed.replace(/^[^@]*@/, '').replace(/:\d*$/, '').toLowerCase();
  if (!host || /[${}%<>]/.test(host) || !host.includes('.')) return undefined;
  if (LOCAL.test(host) || SCHEMA_HOSTS.test(host)) return undefined;
  return host;
}
