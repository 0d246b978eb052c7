import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { credentialsProblem, didYouMeanHint, EventsError } from '@events/core';
import { z } from 'zod';
import { quoteValue } from './quote-value.js';

/** One user as the server keeps them: the API key itself is never kept, only its SHA-256. */
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
const APIKEY_SHA256_RULE = 'the SHA-256 of the API key in 64 hex characters, as "events-server hash-key" prints it';
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * What is wrong with an API key, by the rules of the users file's `apikey` (and so of the key
 * `events-server hash-key` reads): `must be at least 8 characters`, or a control character,
 * named and placed (a key file's line ending, a pasted CR), which no client sends (core refuses
 * such credentials). Never repeats the key. undefined when it is a good key.
 *
 * @example
 * apikeyProblem('short') // 'must be at least 8 characters'
 * apikeyProblem('a-long-key\n') // 'must be an API key without control characters, got 11 characters (not shown: it is a secret) with a line feed (LF) at the end'
 */
export function apikeyProblem(apikey: string): string | undefined {
  if (apikey.length < 8) return `must be ${APIKEY_RULE}`;
  // core words it `NAME must be …`: with no name, the message starts at "must", as a users file's do.
  return credentialsProblem('user', apikey, { username: 'username', apikey: '' })?.trimStart();
}

/** What is wrong with an `apikeySha256` value, never repeating it: a key put there by mistake must not be shown. */
function apikeySha256Problem(value: string): string | undefined {
  if (SHA256_HEX.test(value)) return undefined;
  const rule = `must be ${APIKEY_SHA256_RULE}`;
  if (/^sha256:[0-9a-fA-F]{64}$/i.test(value)) return `${rule}, got one with a "sha256:" prefix: drop the prefix`;
  if (value.length === 64) return `${rule}, got 64 characters that are not all hex digits (0-9, a-f)`;
  return `${rule}, got ${value.length} ${value.length === 1 ? 'character' : 'characters'} (not shown: it may be a key)`;
}

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

/** A refinement that reports what `problem` says is wrong with a value. */
const reportProblem = (problem: (value: string) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
  const message = problem(value);
  if (message !== undefined) ctx.addIssue({ code: 'custom', message });
};

// The one set of rules for users, whether they come from the `--users` file or from code
// (createEventsServer's `users`, createUserDirectory): the same user is valid in both or in neither.
const userSchema = z
  .strictObject(
    {
      username: nameField(),
      // The key itself, or its SHA-256 (protocol.md §3: where keys are configured persistently,
      // store only a hash). Exactly one of the two: see below.
      apikey: text(APIKEY_RULE).superRefine(reportProblem(apikeyProblem)).optional(),
      apikeySha256: z
        .string({ error: (issue) => `must be a string: ${APIKEY_SHA256_RULE}, got ${kindOf(issue.input)}` })
        .superRefine(reportProblem(apikeySha256Problem))
        .optional(),
      namespaces: z
        .array(nameField(), {
          error: (issue) => `must be an array of namespace names such as ["acme"], got ${kindOf(issue.input)}`,
        })
        .default([]),
    },
    { error: (issue) => `must be a user such as ${USER_EXAMPLE}, got ${kindOf(issue.input)}` },
  )
  .superRefine((user, ctx) => {
    const has = (key: string) => Object.hasOwn(user, key) && (user as Record<string, unknown>)[key] !== undefined;
    if (has('apikey') && has('apikeySha256')) {
      ctx.addIssue({ code: 'custom', message: 'has both "apikey" and "apikeySha256": keep one (the hash, so that the file holds no key)' });
    } else if (!has('apikey') && !has('apikeySha256')) {
      ctx.addIssue({
        code: 'custom',
        message: `needs "apikeySha256" (${APIKEY_SHA256_RULE}) or "apikey" (the key itself, ${APIKEY_RULE})`,
      });
    }
  }, {
    // Also when a field is wrong (a misspelt "api_key", bad namespaces): a missing key is said at
    // once rather than after the next fix. Not for a user that is no object at all.
    when: (payload) => isObjectLike(payload.value),
  });

const USER_KEYS = Object.keys(userSchema.shape);
type UserSchemaOutput = z.output<typeof userSchema>;

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
  sha256: 'apikeySha256',
  hash: 'apikeySha256',
  digest: 'apikeySha256',
  keyhash: 'apikeySha256',
  key_hash: 'apikeySha256',
  key_sha256: 'apikeySha256',
  apikeyhash: 'apikeySha256',
  apikey_hash: 'apikeySha256',
  api_key_hash: 'apikeySha256',
  password_hash: 'apikeySha256',
  namespace: 'namespaces',
  organisations: 'namespaces',
  organizations: 'namespaces',
  orgs: 'namespaces',
};

interface UserConfigBase {
  readonly username: string;
  /** The organisations the user belongs to; their own namespace is implied. */
  readonly namespaces?: readonly string[];
}

/** A user with the API key itself (from code, or a users file written before `apikeySha256`). */
export interface PlainKeyUserConfig extends UserConfigBase {
  /** At least 8 characters, no control characters. */
  readonly apikey: string;
  readonly apikeySha256?: undefined;
}

/** A user with only the SHA-256 of their API key: what a users file should hold (protocol.md §3). */
export interface HashedKeyUserConfig extends UserConfigBase {
  /** SHA-256 of the key's UTF-8 bytes, 64 hex characters (either case), as {@link hashApiKey} makes it. */
  readonly apikeySha256: string;
  readonly apikey?: undefined;
}

/** One user as configured: `apikey` or `apikeySha256`, exactly one of the two. */
export type UserConfig = PlainKeyUserConfig | HashedKeyUserConfig;

/**
 * zod's issues as one message: `users.0: unknown key "api_key" (did you mean "apikey"?); users.0: needs "apikeySha256" (...) or "apikey" (...)`.
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
function checkUsers(value: unknown, schema: z.ZodType<{ users: UserSchemaOutput[] }>, label: string): UserConfig[] {
  const result = schema.safeParse(value);
  if (!result.success) throw new EventsError('invalid-config', `${label}${describeIssues(result.error.issues)}`, { cause: result.error });
  const seen = new Set<string>();
  for (const user of result.data.users) {
    if (seen.has(user.username)) throw new EventsError('invalid-config', `${label}user ${JSON.stringify(user.username)} is listed twice`);
    seen.add(user.username);
  }
  // The refinement above let through exactly one of apikey and apikeySha256, which zod's type cannot say.
  return result.data.users as UserConfig[];
}

/**
 * Parses the `--users` file: `{"users":[{"username":"alice","apikeySha256":"<64 hex>","namespaces":["acme"]}]}`
 * (or `"apikey"` with the key itself).
 */
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
 * `{ username, apikey, namespaces? }` or `{ username, apikeySha256, namespaces? }`, no other key,
 * usernames and namespaces of 1-64 letters, digits, `_ . -`, API keys of at least 8 characters
 * without control characters, hashes of 64 hex characters, no username twice. Returns them with
 * `namespaces` filled in. The message never repeats an API key.
 *
 * @example
 * checkUserConfigs([{ username: 'alice', apikey: 'a-long-secret-key' }]) // [{ username: 'alice', apikey: 'a-long-secret-key', namespaces: [] }]
 * checkUserConfigs([{ username: 'alice', api_key: 'k' }])
 * // throws EventsError invalid-config: 'users.0: unknown key "api_key" (did you mean "apikey"?); users.0: needs "apikeySha256" (…) or "apikey" (…)'
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

/**
 * A new random API key: 24 characters of base64url (144 bits), which no one guesses and every
 * client can send.
 */
export function generateApiKey(): string {
  return randomBytes(18).toString('base64url');
}

/** A user with a random key, for a server started without --users (it never starts open to everyone). */
export function generateDefaultUser(username = 'admin'): PlainKeyUserConfig & { readonly namespaces: readonly string[] } {
  return { username, apikey: generateApiKey(), namespaces: [] };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * The SHA-256 of an API key's UTF-8 bytes in lower-case hex: the users file's `apikeySha256`
 * (`events-server hash-key` prints it).
 *
 * @example
 * hashApiKey('a-long-secret-key') // 64 hex characters
 */
export function hashApiKey(apikey: string): string {
  return sha256(apikey).toString('hex');
}

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
    // Either form ends as the same 32 bytes, compared the same way: only the hash is kept.
    const keyHash = config.apikeySha256 !== undefined ? Buffer.from(config.apikeySha256, 'hex') : sha256(config.apikey);
    byName.set(config.username, { user: { username: config.username, namespaces }, keyHash });
  }
  const users = [...byName.values()].map((entry) => entry.user);
  const allNamespaces = [...new Set(users.flatMap((user) => user.namespaces))];
  // Unknown users are compared against a dummy hash so timing does not reveal which usernames exist;
  // the key sent is hashed whatever the user, so its length shows in no timing either.
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
