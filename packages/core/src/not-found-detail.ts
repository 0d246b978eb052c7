/**
 * What a 404 from the stream upgrade or a REST list means, when the server did not say (an HTML
 * page, an empty body, a bare "Not found."): the URL answers nothing of ours, so the host or the
 * namespace is wrong. An events server explains its own 404s (their `detail`): those are kept.
 * Not exported from the package: the stream client and the live tree word it alike.
 *
 * @example
 * notFoundDetail('stream', 'ws://h:1/api/audit/v1/acme/events/?auth=Basic%20…', null)
 * // 'no events stream answered at ws://h:1/api/audit/v1/acme/events/ (check the stream host, streamHost or DOCKERCLOUD_STREAM_HOST, and the namespace)'
 */
export function notFoundDetail(what: 'stream' | 'rest', url: string, detail: string | null | undefined): string | null {
  if (detail != null && detail !== '' && !GENERIC.test(detail)) return null;
  // The query may carry credentials (?auth=, ?user=&token=), and filters the user did not ask about.
  const at = url.indexOf('?');
  const path = at === -1 ? url : url.slice(0, at);
  return what === 'stream'
    ? `no events stream answered at ${path} (check the stream host, streamHost or DOCKERCLOUD_STREAM_HOST, and the namespace)`
    : `no events API answered at ${path} (check the REST host, restHost or DOCKERCLOUD_REST_HOST, and the namespace)`;
}

/** The details that say no more than the status itself (Django REST framework's, and alike). */
const GENERIC = /^\s*not found\.?\s*$/i;
