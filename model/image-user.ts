import { z } from 'zod';

/**
 * The user an image runs as, read by the scan from the image config itself (Trivy's DS002 check
 * reports nothing when it cannot rebuild the Dockerfile, and never sees a uid-0 alias). Pure: the gate and the scan share these decisions.
 */
export const imageUserSchema = z.object({
  /** The image config's `User` as written: `app`, `10001`, `root:root`, `0:0`, or `""` when unset. */
  user: z.string(),
  /** The uid it runs as: a numeric user as written, a name through the image's /etc/passwd; absent when unknown. */
  uid: z.number().int().optional(),
  /** Why the uid is unknown (the name is not in /etc/passwd, /etc/passwd is not a plain file...). */
  unresolved: z.string().optional(),
  /** sha256 of the image config blob the user was read from (checked against the manifest). */
  configDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>'),
});
export type ImageUser = z.output<typeof imageUserSchema>;

/** The user part of a `User` value (`name`, `uid`, `name:group`, `uid:gid`), as the engine splits it. */
export const userPart = (user: string): string => user.split(':')[0]!.trim();

// The engine parses uids with Go's strconv.Atoi: a sign and leading zeros are allowed (`+0`, `00`).
const NUMERIC = /^[+-]?\d+$/;

/**
 * True when the image config's `User` alone says the container runs as root: unset (empty, or only a
 * group), `root`, or uid 0 in any spelling (`0`, `00`, `+0`), with or without a group.
 */
export function isRootUser(user: string): boolean {
  const u = userPart(user);
  return u === '' || u === 'root' || (NUMERIC.test(u) && Number(u) === 0);
}

/** True when the user needs the image's /etc/passwd to tell its uid (a name other than root). */
export const needsPasswd = (user: string): boolean => !isRootUser(user) && !NUMERIC.test(userPart(user));

/**
 * The uid a container of the image runs as, the way the engine resolves `User` (moby/sys/user
 * GetExecUser): a numeric user is always a uid; a name is looked up in /etc/passwd, first entry wins,
 * and a uid field that is not a number counts as 0 (Atoi's error is ignored there). Undefined when a
 * name is not in /etc/passwd (the container would not start).
 */
export function resolveUid(user: string, passwd: string | undefined): number | undefined {
  const u = userPart(user);
  if (u === '') return 0;
  if (NUMERIC.test(u)) return Number(u);
  for (const raw of (passwd ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [name, , uid = ''] = line.split(':');
    if (name === u) return NUMERIC.test(uid) ? Number(uid) : 0;
  }
  return u === 'root' ? 0 : undefined;
}

/** How a user reads in messages: `"app" (uid 10001)`, `"" (unset)`. */
export function describeUser(u: Pick<ImageUser, 'user' | 'uid'>): string {
  const uid = u.uid !== undefined && !NUMERIC.test(userPart(u.user)) ? ` (uid ${u.uid})` : '';
  return `${JSON.stringify(u.user)}${u.user.trim() === '' ? ' (unset)' : uid}`;
}

/**
 * Why an image fails `requireNonRoot`, or undefined when it runs as a known uid other than 0. A user
 * whose uid cannot be told fails too: the gate passes only what it can show is not root.
 */
export function rootReason(u: ImageUser): string | undefined {
  const shown = describeUser(u);
  if (userPart(u.user) === '') return `the image config sets no User (${JSON.stringify(u.user)}): the container runs as root`;
  if (isRootUser(u.user)) return `the image config sets User ${JSON.stringify(u.user)}: the container runs as root`;
  if (u.uid === undefined)
    return `the image config sets User ${shown}, whose uid cannot be told (${u.unresolved ?? 'not in /etc/passwd'}): use a numeric USER, e.g. USER 10001`;
  if (u.uid === 0) return `the image config sets User ${shown}, which is uid 0 in the image's /etc/passwd: the container runs as root`;
  return undefined;
}
