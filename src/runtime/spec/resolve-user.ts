/**
 * Turns Docker's `-u` / Config.User text into the ids the runtime sets, reading the container's
 * own /etc/passwd and /etc/group the way runc's libcontainer/user (which Docker uses) does.
 */
import { InvalidArgumentError } from '../../util/errors.js';

export interface PasswdEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
  readonly shell: string;
}

export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups, the primary gid first (Docker passes it too, so `id` lists it). */
  readonly additionalGids: number[];
  /** From passwd; '/' when the user has no entry or an empty home. */
  readonly home: string;
}

export interface UserFiles {
  /** Text of the container's /etc/passwd, or null when it has none. */
  readonly passwd: string | null;
  /** Text of the container's /etc/group, or null when it has none. */
  readonly group: string | null;
}

const maxId = 2 ** 31 - 1;

/** Lines of a colon file: trimmed, without blanks and `#` comments. */
function records(text: string | null): string[][] {
  if (text === null) return [];
  const out: string[][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(line.split(':'));
  }
  return out;
}

/** A number field as glibc-tolerant parsers read it: garbage counts as 0. */
function numberField(text: string | undefined): number {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return 0;
  return Number.parseInt(text, 10);
}

/** Parses passwd text; short lines get empty fields rather than failing. */
export function parsePasswd(text: string | null): PasswdEntry[] {
  return records(text).map((f) => ({
    name: f[0] ?? '',
    uid: numberField(f[2]),
    gid: numberField(f[3]),
    home: f[5] ?? '',
    shell: f[6] ?? '',
  }));
}

/** Parses group text; the member list is comma separated and may be missing. */
export function parseGroup(text: string | null): GroupEntry[] {
  return records(text).map((f) => ({
    name: f[0] ?? '',
    gid: numberField(f[2]),
    members: f[3] ? f[3].split(',').map((m) => m.trim()).filter((m) => m !== '') : [],
  }));
}

/** A numeric user or group argument, range-checked; null when the text is a name. */
function numericId(text: string): number | null {
  if (!/^[+-]?\d+$/.test(text)) return null;
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id < 0 || id > maxId) {
    throw new InvalidArgumentError(`uids and gids must be in range 0-${maxId}`);
  }
  return id;
}

function noUser(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`unable to find user ${name}: no matching entries in passwd file`);
}

function noGroup(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`unable to find group ${name}: no matching entries in group file`);
}

/**
 * Resolves `user` (`''`, `name`, `uid`, `name:group`, `uid:gid`, `name:gid`, `uid:group`):
 * - '' means uid 0; numeric ids need no passwd entry, names must have one;
 * - the gid is the explicit group, else the user's passwd group, else 0;
 * - supplementary groups are the /etc/group entries listing the user by name, but only when no
 *   group was given explicitly (runc's rule), then `groupAdd` (Docker's --group-add: names must
 *   exist, numbers are taken as they are);
 * - the first matching entry wins when several match.
 */
export function resolveUser(user: string, files: UserFiles, groupAdd: readonly string[] = []): ResolvedUser {
  const [userArg = '', groupArg = ''] = user.split(':');
  const uidArg = numericId(userArg);
  const gidArg = numericId(groupArg);
  const passwd = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);

  const entry = passwd.find((u) => (userArg === '' ? u.uid === 0 : uidArg !== null ? u.uid === uidArg : u.name === userArg));
  let uid = 0;
  let gid = 0;
  let home = '';
  if (entry) {
    ({ uid, gid, home } = entry);
  } else if (userArg !== '') {
    if (uidArg === null) throw noUser(userArg);
    uid = uidArg;
  }

  const supplementary: number[] = [];
  if (groupArg !== '') {
    const g = groups.find((x) => (gidArg !== null ? x.gid === gidArg : x.name === groupArg));
    if (g) gid = g.gid;
    else if (gidArg !== null) gid = gidArg;
    else throw noGroup(groupArg);
  } else if (entry && entry.name !== '') {
    for (const g of groups) if (g.members.includes(entry.name)) supplementary.push(g.gid);
  }

  for (const want of groupAdd) {
    const id = numericId(want);
    const g = groups.find((x) => (id !== null ? x.gid === id : x.name === want));
    if (g) supplementary.push(g.gid);
    else if (id !== null) supplementary.push(id);
    else throw noGroup(want);
  }

  return { uid, gid, additionalGids: [...new Set([gid, ...supplementary])], home: home || '/' };
}
