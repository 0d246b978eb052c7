import { describe, expect, it } from 'vitest';
import { socketErrorMessage } from './socket-error-message.js';

const withCode = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('socketErrorMessage', () => {
  it('reads OpenSSL\'s "wrong version number" as a TLS client meeting a plain server', () => {
    const raw = 'write EPROTO 80EC6B7D2D7F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    expect(socketErrorMessage(withCode(raw, 'EPROTO'))).toBe(
      'TLS handshake failed: the server does not speak TLS on this port (use ws:// or http://) [EPROTO: wrong version number]',
    );
  });

  it("reads fetch's ERR_SSL_* codes for the same failure as ws's EPROTO", () => {
    const raw = '807CCB65157F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n';
    expect(socketErrorMessage(withCode(raw, 'ERR_SSL_WRONG_VERSION_NUMBER'))).toBe(
      'TLS handshake failed: the server does not speak TLS on this port (use ws:// or http://) [ERR_SSL_WRONG_VERSION_NUMBER: wrong version number]',
    );
    // Another code with that text is not read as this failure.
    expect(socketErrorMessage(withCode(raw, 'ECONNRESET'))).toBe(raw.trim());
  });

  it('says how to trust a certificate the client refuses', () => {
    expect(socketErrorMessage(withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'))).toBe(
      "TLS certificate refused (DEPTH_ZERO_SELF_SIGNED_CERT): self-signed certificate; trust the server's CA with NODE_EXTRA_CA_CERTS, or fix its certificate",
    );
  });

  it('keeps every other message as the runtime wrote it, trimmed', () => {
    expect(socketErrorMessage(withCode('connect ECONNREFUSED 127.0.0.1:1', 'ECONNREFUSED'))).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(socketErrorMessage(withCode('boom\n'))).toBe('boom');
    expect(socketErrorMessage('plain text')).toBe('plain text');
    expect(socketErrorMessage(withCode('   '))).toBe('socket error');
    expect(socketErrorMessage(null)).toBe('null');
  });
});
