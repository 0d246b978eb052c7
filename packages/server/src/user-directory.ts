import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EventsError } from '@events/core';
import { z } from 'zod';

/** One user as configured: the API key itself is never kept, only its SHA-256. */
export interface User {
  readonly username: string;
  /** The user's own namespace first, then the organisations they belong to. */
  readonly namespaces: readonly string[];
}

export interface UserDirectory {
  /** The user whose username and API key these are, compared in constant time; undefined otherwise. */
  authenticate(username: string, apikey: string): User | undefined;
  canRead(user: User, namespace: string): boolean;
  /** Every namespace some user can read: the simulated cloud simulates these. */
  namespaces(): readonly string[];
  readonly users: readonly User[];
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const usersFileSchema = z.object({
  users: z
    .array(
      z.object({
        username: z.string().regex(NAME, 'must be 1-64 characters of letters, digits, _ . -'),
        apikey: z.string().min(8, 'must be at least 8 characters'),
        namespaces: z.array(z.string().regex(NAME, 'must be 1-64 characters of letters, digits, _ . -')).default([]),
      }),
    )
    .min(1, 'must list at least one user'),
});

export type UserConfig = { readonly username: string; readonly apikey: string; readonly namespaces?: readonly string[] };

/** Parses the `--users` file: `{"users":[{"username":"alice","apikey":"...","namespaces":["acme"]}]}`. */
export function parseUsersFile(text: string, fileName: string): UserConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EventsError('invalid-config', `${fileName}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  const result = usersFileSchema.safeParse(value);
  if (!result.success) {
    const why = result.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ');
    throw new EventsError('invalid-config', `${fileName}: ${why}`, { cause: result.error });
  }
  const seen = new Set<string>();
  for (const user of result.data.users) {
    if (seen.has(user.username)) throw new EventsError('invalid-config', `${fileName}: user ${JSON.stringify(user.username)} is listed twice`);
    seen.add(user.username);
  }
  return result.data.users;
}

export async function loadUsersFile(path: string): Promise<UserConfig[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new EventsError('invalid-config', `cannot read users file ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseUsersFile(text, path);
}

/** A user with a random key, for a server started without --users (it never starts open to everyone). */
export function generateDefaultUser(username = 'admin'): UserConfig {
  return { username, apikey: randomBytes(18).toString('base64url'), namespaces: [] };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function createUserDirectory(configs: readonly UserConfig[]): UserDirectory {
  const byName = new Map<string, { user: User; keyHash: Buffer }>();
  for (const config of configs) {
    // A user's own namespace is implied.
    const namespaces = [config.username, ...(config.namespaces ?? []).filter((ns) => ns !== config.username)];
    byName.set(config.username, { user: { username: config.username, namespaces }, keyHash: sha256(config.apikey) });
  }
  const users = [...byName.values()].map((entry) => entry.user);
  const allNamespaces = [...new Set(users.flatMap((user) => user.namespaces))];
  // Unknown users are compared against a dummy hash so timing does not reveal which usernames exist.
  const dummy = sha256('\u0000no such user');
  return {
    users,
    authenticate(username, apikey) {
      const entry = byName.get(username);
      const equal = timingSafeEqual(entry?.keyHash ?? dummy, sha256(apikey));
      return entry && equal ? entry.user : undefined;
    },
    canRead: (user, namespace) => user.namespaces.includes(namespace),
    namespaces: () => allNamespaces,
  };
}
