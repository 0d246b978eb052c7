/**
 * What a UI shows for a socket error: the runtime's message, trimmed (OpenSSL's end in a newline),
 * with a plain reading of the cases whose raw text names a cause nobody can act on. Pure: it only
 * reads `code` and `message` of what the runtime threw or emitted.
 *
 * @example
 * socketErrorMessage(error) // wss:// against a plain server: 'TLS handshake failed: the server does not speak TLS on this port (use ws:// or http://) [EPROTO …wrong version number…]'
 */
export function socketErrorMessage(error: unknown): string {
  const { code, message } = readError(error);
  if ((code === 'EPROTO' || (code !== undefined && PLAIN_SERVER_TLS_CODES.has(code))) && /wrong version number|packet length too long|http request/i.test(message)) {
    return `TLS handshake failed: the server does not speak TLS on this port (use ws:// or http://) [${code}: ${shortOpenSslReason(message)}]`;
  }
  if (code !== undefined && CERTIFICATE_CODES.has(code)) {
    return `TLS certificate refused (${code}): ${message}; trust the server's CA with NODE_EXTRA_CA_CERTS, or fix its certificate`;
  }
  return message;
}

// What fetch (undici) calls the same failure ws reports as EPROTO: TLS spoken to a plain port.
const PLAIN_SERVER_TLS_CODES: ReadonlySet<string> = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

// Node's codes for a certificate the client does not accept.
const CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function readError(error: unknown): { code: string | undefined; message: string } {
  if (typeof error !== 'object' || error === null) return { code: undefined, message: String(error).trim() || 'socket error' };
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    message: (typeof message === 'string' ? message : String(error)).trim() || 'socket error',
  };
}

/** `…:ssl3_get_record:wrong version number:../deps/openssl/…` → `wrong version number`. */
function shortOpenSslReason(message: string): string {
  const match = /:([a-z][a-z ]+):[^:]*\.c:\d+:?$/i.exec(message);
  return match?.[1] ?? message;
}
