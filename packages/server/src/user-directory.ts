import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { didYouMeanHint, EventsError } from '@events/core';
import { z } from 'zod';
import { quoteValue } from './quote-value.js';

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
const NAME_RULE = '1-64 characters of letters, digits, _ . -';
const APIKEY_RULE = 'at least 8 characters';

/** A value's kind, never the value itself: an API key must not appear in a message. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A string field: what it must be when it is missing or of another type. */
const text = (rule: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `is required (${rule})` : `must be a string of ${rule}, got ${kindOf(issue.input)}`) });

/**
 * A name is a segment of every resource URI in its namespace (`/api/app/v1/{ns}/stack/...`), and
 * URLs resolve the segments "." and ".." away: `/api/app/v1/../stack/` is `/api/app/stack/`, and
 * `/api/app/v1/./stack/` the user's own namespace. Such a namespace could never be reached.
 */
const notDotSegment = (name: string) => name !== '.' && name !== '..';
const DOT_SEGMENT_RULE = 'must not be "." or "..", which URLs resolve away (its resource URIs would not reach it)';
/** A username or namespace: the name's rule, then the dot segments, which fit it. */
const nameField = () => text(NAME_RULE).regex(NAME, `must be ${NAME_RULE}`).refine(notDotSegment, DOT_SEGMENT_RULE);

const USER_EXAMPLE = '{ "username": "alice", "apikey": "...", "namespaces": ["acme"] }';

// The one set of rules for users, whether they come from the `--users` file or from code
// (createEventsServer's `users`, createUserDirectory): the same user is valid in both or in neither.
const userSchema = z.strictObject(
  {
    username: nameField(),
    apikey: text(APIKEY_RULE).min(8, `must be ${APIKEY_RULE}`),
    namespaces: z
      .array(nameField(), {
        error: (issue) => `must be an array of namespace names such as ["acme"], got ${kindOf(issue.input)}`,
      })
      .default([]),
  },
  { error: (issue) => `must be a user such as ${USER_EXAMPLE}, got ${kindOf(issue.input)}` },
);

const USER_KEYS = Object.keys(userSchema.shape);

const usersSchema = z
  .array(userSchema, {
    error: (issue) =>
      issue.input === undefined
        ? `is required (an array of users such as [${USER_EXAMPLE}])`
        : `must be an array of users such as [${USER_EXAMPLE}], got ${kindOf(issue.input)}${isObjectLike(issue.input) ? ' (write a single user in [ ])' : ''}`,
  })
  .min(1, 'must list at least one user');

const usersFileSchema = z.strictObject(
  { users: usersSchema },
  { error: (issue) => `must be an object such as {"users": [${USER_EXAMPLE}]}, got ${kindOf(issue.input)}` },
);

function isObjectLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names people put in a users file for its keys. */
const NEAR_MISSES: Readonly<Record<string, string>> = {
  user: 'username',
  name: 'username',
  login: 'username',
  key: 'apikey',
  token: 'apikey',
  api_token: 'apikey',
  password: 'apikey',
  namespace: 'namespaces',
  organisations: 'namespaces',
  organizations: 'namespaces',
  orgs: 'namespaces',
};

export type UserConfig = { readonly username: string; readonly apikey: string; readonly namespaces?: readonly string[] };

/**
 * zod's issues as one message: `users.0: unknown key "api_key" (did you mean "apikey"?); users.0.apikey: is required (...)`.
 * Unknown keys come first: a misspelt key is usually why a required one is missing.
 */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const unknownFirst = [...issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  return unknownFirst
    .flatMap((issue) => {
      const where = issue.path.join('.') || '(file)';
      if (issue.code !== 'unrecognized_keys') return [`${where}: ${issue.message}`];
      // A key under users.N is a user's; any other is the file's own.
      const known = typeof issue.path[issue.path.length - 1] === 'number' ? USER_KEYS : ['users'];
      return issue.keys.map((key) => `${where}: unknown key ${quoteValue(key)}${didYouMeanHint(key, known, NEAR_MISSES)}`);
    })
    .join('; ');
}

/** The users, checked; `label` starts every message (`users.json: `, or nothing from code, where the paths start with `users`). */
function checkUsers(value: unknown, schema: z.ZodType<{ users: UserConfig[] }>, label: string): UserConfig[] {
  const result = schema.safeParse(value);
  if (!result.success) throw new EventsError('invalid-config', `${label}${describeIssues(result.error.issues)}`, { cause: result.error });
  const seen = new Set<string>();
  for (const user of result.data.users) {
    if (seen.has(user.username)) throw new EventsError('invalid-config', `${label}user ${JSON.stringify(user.username)} is listed twice`);
    seen.add(user.username);
  }
  return result.data.users;
}

/** Parses the `--users` file: `{"users":[{"username":"alice","apikey":"...","namespaces":["acme"]}]}`. */
export function parseUsersFile(text: string, fileName: string): UserConfig[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EventsError('invalid-config', `${fileName}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  return checkUsers(value, usersFileSchema, `${fileName}: `);
}

const usersOptionSchema = z.object({ users: usersSchema });

/**
 * Users given from code, checked by the rules of the `--users` file: an array of at least one
 * `{ username, apikey, namespaces? }`, no other key, usernames and namespaces of 1-64 letters,
 * digits, `_ . -`, API keys of at least 8 characters, no username twice. Returns them with
 * `namespaces` filled in. The message never repeats an API key.
 *
 * @example
 * checkUserConfigs([{ username: 'alice', apikey: 'a-long-secret-key' }]) // [{ username: 'alice', apikey: 'a-long-secret-key', namespaces: [] }]
 * checkUserConfigs([{ username: 'alice', api_key: 'k' }])
 * // throws EventsError invalid-config: 'users.0: unknown key "api_key" (did you mean "apikey"?); users.0.apikey: is required (at least 8 characters)'
 */
export function checkUserConfigs(users: unknown): UserConfig[] {
  return checkUsers({ users }, usersOptionSchema, '');
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

/**
 * The users, ready to authenticate. `configs` are checked as {@link checkUserConfigs} checks them.
 *
 * @example
 * const directory = createUserDirectory([{ username: 'alice', apikey: 'a-long-secret-key', namespaces: ['acme'] }]);
 * directory.authenticate('alice', 'a-long-secret-key')?.namespaces // ['alice', 'acme']
 * @throws EventsError `invalid-config` for users that break the rules of the users file
 */
export function createUserDirectory(configs: readonly UserConfig[]): UserDirectory {
  const byName = new Map<string, { user: User; keyHash: Buffer }>();
  for (const config of checkUserConfigs(configs)) {
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
