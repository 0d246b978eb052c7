import { describe, expect, it } from 'vitest';
import { notFoundDetail } from './not-found-detail.js';

describe('notFoundDetail', () => {
  it('names the URL without its query (credentials, filters) and what to check', () => {
    expect(notFoundDetail('stream', 'ws://h:1/p/api/audit/v1/events/?type=service&auth=Basic%20YWxpY2U6c2VjcmV0', undefined)).toBe(
      'no events stream answered at ws://h:1/p/api/audit/v1/events/ (check the stream host, streamHost or DOCKERCLOUD_STREAM_HOST, and the namespace)',
    );
    expect(notFoundDetail('rest', 'http://h:1/api/app/v1/acme/stack/?limit=1000&user=alice&token=k', null)).toBe(
      'no events API answered at http://h:1/api/app/v1/acme/stack/ (check the REST host, restHost or DOCKERCLOUD_REST_HOST, and the namespace)',
    );
  });

  it('stands in for a detail that says no more than the status, and keeps any other', () => {
    for (const generic of ['', 'Not found.', 'Not Found', ' not found ']) expect(notFoundDetail('rest', 'http://h/x/', generic)).toMatch(/^no events API answered at http:\/\/h\/x\//);
    expect(notFoundDetail('rest', 'http://h/x/', 'Not found: no resource at /x/.')).toBeNull();
  });
});
