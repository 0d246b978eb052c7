import { hash, randomBytes } from 'node:crypto';

/** The name-based UUID namespace of this project's Docker mapping (a fixed random UUID). */
export const DOCKER_UUID_NAMESPACE = 'a5856f3c-48fd-45d7-babc-3fbe4fa8c3f2';

const NAMESPACE_BYTES = Buffer.from(DOCKER_UUID_NAMESPACE.replaceAll('-', ''), 'hex');

/** What a Docker-derived object id is made from: the Docker Cloud type and the Docker identity. */
export type DockerUuidKind = 'nodecluster' | 'node' | 'stack' | 'service' | 'container';

const HEX_ID = /^[0-9a-f]{32,}$/;

/**
 * A stable, UUID-shaped id for an engine object, so that the same engine object gets the same
 * uuid on every run of the server and the resource URIs that clients stored stay valid across our
 * restarts.
 *
 * - A container id (64 random hex digits) is used as it is: its first 32 digits, as an RFC 9562
 *   version 8 (vendor-specific) UUID. The uuid then starts with the container's short id, which
 *   operators see in `docker ps`.
 * - Anything else (swarm ids, stack names, engine ids) becomes a version 5 (SHA-1, name-based)
 *   UUID of `kind/key` in {@link DOCKER_UUID_NAMESPACE}. The kind is part of the name because one
 *   Docker id can name two objects (a plain engine is both the node and its node cluster).
 *
 * @example
 * dockerUuid('container', 'fa1d5a7446024ace45a48257e95fdd93e0ef7444841193dfea8a6308abdaf651') // 'fa1d5a74-4602-8ace-85a4-8257e95fdd93'
 * dockerUuid('stack', 'shop') // the stack of every object labelled com.docker.stack.namespace=shop, always the same
 */
export function dockerUuid(kind: DockerUuidKind, key: string): string {
  if (kind === 'container' && HEX_ID.test(key)) return format(key, '8');
  const digest = hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(`${kind}/${key}`, 'utf8')]), 'hex');
  return format(digest, '5');
}

/** 32 hex digits as a UUID of `version`, with the RFC 9562 variant bits. */
function format(hex: string, version: '5' | '8'): string {
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Event (and action) uuids: unique, not secret. One random draw per source, then a counter: a
 * version 4-shaped uuid in tens of ns where `crypto.randomUUID` takes hundreds, which shows at
 * thousands of engine events per second. Two sources (or two runs) share no uuid: their random
 * parts differ.
 *
 * @example
 * const next = createEventUuids();
 * next(); // '6f1c03aa-91d2-4b7e-a3c0-0000002a0100'
 * next(); // '6f1c03aa-91d2-4b7e-a3c0-0000002a0101'
 */
export function createEventUuids(seed: Uint8Array = randomBytes(16)): () => string {
  const hex = Buffer.from(seed).toString('hex').padEnd(32, '0');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  const prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-`;
  // A 48-bit counter with a random start (it does not wrap in practice), written as 10 hex digits
  // that change every 256 uuids and 2 from a table: number formatting is the slow part here.
  let high = Number.parseInt(hex.slice(20, 27), 16);
  let low = 0;
  let head = '';
  return () => {
    if (low === 0) head = `${prefix}${(high++).toString(16).padStart(10, '0')}`;
    const uuid = head + (HEX2[low] as string);
    low = (low + 1) & 0xff;
    return uuid;
  };
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
