/**
 * The broker address of a distributed run: a NATS URL that may carry credentials, parsed once into
 * connection options, and its redacted form, the only form that is ever logged or written.
 *
 *   nats://HOST:PORT                       no auth
 *   nats://USER:PASSWORD@HOST:PORT         user and password
 *   nats://TOKEN@HOST:PORT                 token
 *   tls://HOST:PORT?ca=FILE&cert=FILE&key=FILE   TLS (server CA; client certificate for mutual TLS)
 *   nats://HOST:PORT?creds=FILE            a decentralized-auth credentials file (JWT + nkey seed)
 *   nats://HOST:PORT?nkey=FILE             a file holding an nkey seed (SU...)
 *
 * Files are read here, at parse time, so a wrong path is a clear error before anything connects.
 */
import { readFileSync } from 'node:fs';

import { expectedMessage } from '../validate.js';

/** What {@link parseBrokerUrl} returns: where to connect and how to authenticate. */
export interface BrokerAddress {
  /** `host:port` list for the client (one entry), without credentials. */
  server: string;
  /** The URL with any password, token or file path replaced by `***`: safe to log. */
  redacted: string;
  user?: string;
  pass?: string;
  token?: string;
  /** TLS file paths (`tls://` or any of ca/cert/key given). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** Contents of a credentials file (`creds=`). */
  creds?: Uint8Array;
  /** An nkey seed (`nkey=`). */
  nkeySeed?: Uint8Array;
}

const QUERY_KEYS = ['ca', 'cert', 'key', 'creds', 'nkey'];

/** Parses a broker URL (see the file's doc); errors name `name` (the flag or option) and never echo a secret. */
export function parseBrokerUrl(value: unknown, name = 'broker'): BrokerAddress {
  if (typeof value !== 'string' || value.trim() === '') throw new TypeError(expectedMessage('a NATS URL such as nats://127.0.0.1:4222', name, value));
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a password: say only its scheme-less shape.
    throw new RangeError(`Expected a NATS URL such as nats://HOST:PORT for ${name} but received an unparsable URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!['nats', 'tls'].includes(scheme)) throw new RangeError(`Expected a nats:// or tls:// URL for ${name} but received a ${scheme}:// URL`);
  if (url.hostname === '') throw new RangeError(`Expected a host in the URL for ${name} (nats://HOST:PORT) but received none`);
  if (url.pathname !== '' && url.pathname !== '/') throw new RangeError(`Expected no path in the URL for ${name} but received '${url.pathname}'`);
  const port = url.port === '' ? '4222' : url.port;
  const out: BrokerAddress = { server: `${url.hostname}:${port}`, redacted: '' };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user !== '' && pass !== '') {
    out.user = user;
    out.pass = pass;
  } else if (user !== '') {
    out.token = user;
  }
  const file = (key: string): string | undefined => url.searchParams.get(key) ?? undefined;
  for (const key of url.searchParams.keys()) {
    if (!QUERY_KEYS.includes(key)) throw new RangeError(`Expected only ${QUERY_KEYS.join(', ')} as query parameters of ${name} but received '${key}'`);
  }
  const read = (key: string): Uint8Array => {
    const path = file(key)!;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new RangeError(`Expected a readable file for ${name} ?${key}= but received '${path}' (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`, {
        cause: err,
      });
    }
  };
  if (file('creds') !== undefined) out.creds = read('creds');
  if (file('nkey') !== undefined) out.nkeySeed = new TextEncoder().encode(new TextDecoder().decode(read('nkey')).trim());
  if (scheme === 'tls' || ['ca', 'cert', 'key'].some((k) => file(k) !== undefined)) {
    const tls: NonNullable<BrokerAddress['tls']> = {};
    for (const [key, field] of [
      ['ca', 'caFile'],
      ['cert', 'certFile'],
      ['key', 'keyFile'],
    ] as const) {
      if (file(key) === undefined) continue;
      read(key); // checked now: a typo is a clear error, not a TLS handshake failure later
      tls[field] = file(key)!;
    }
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
      throw new RangeError(`Expected both cert= and key= (mutual TLS) or neither for ${name} but received only ${tls.certFile ? 'cert' : 'key'}`);
    out.tls = tls;
  }
  out.redacted = redactBrokerUrl(value);
  return out;
}

/** The URL with its password or token and the values of its query parameters replaced by `***`. */
export function redactBrokerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '<unparsable broker URL>';
  }
  const auth = url.username === '' ? '' : url.password === '' ? '***@' : `${decodeURIComponent(url.username)}:***@`;
  const query = [...url.searchParams.keys()].map((k) => `${k}=***`).join('&');
  return `${url.protocol}//${auth}${url.host}${query ? `?${query}` : ''}`;
}
