/**
 * Credentials and TLS of the NATS connection, mapped onto the nats.js client's options.
 */
import { credsAuthenticator, nkeyAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';

/**
 * How a NatsBroker proves who it is and protects the connection. Files are read at connect time; a
 * user and password can also ride in the server URL (`nats://user:pw@host:4222`).
 */
export interface NatsSecurityOptions {
  /** A `.creds` file (user JWT and nkey seed, from `nsc` or NGS): decentralised JWT auth. */
  credsFile?: string;
  /** A file holding an nkey seed (`SU…`): nkey auth. */
  nkeySeedFile?: string;
  /** CA bundle (PEM) that signed the server's certificate; setting any TLS file turns TLS on. */
  tlsCaFile?: string;
  /** Client certificate (PEM) for mutual TLS, with {@link tlsKeyFile}. */
  tlsCertFile?: string;
  /** Private key (PEM) of {@link tlsCertFile}. */
  tlsKeyFile?: string;
}

/** The nats.js connection settings for {@link NatsSecurityOptions} (files read now: a missing one fails here). */
export function securityConnectOptions(security: NatsSecurityOptions | undefined): Partial<NodeConnectionOptions> {
  if (!security) return {};
  const out: Partial<NodeConnectionOptions> = {};
  if (security.credsFile) out.authenticator = credsAuthenticator(readFileSync(security.credsFile));
  if (security.nkeySeedFile)
    out.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(security.nkeySeedFile, 'utf8').trim()));
  const { tlsCaFile, tlsCertFile, tlsKeyFile } = security;
  if (tlsCaFile || tlsCertFile) {
    out.tls = {
      ...(tlsCaFile ? { caFile: tlsCaFile } : {}),
      ...(tlsCertFile ? { certFile: tlsCertFile } : {}),
      ...(tlsKeyFile ? { keyFile: tlsKeyFile } : {}),
    };
  }
  return out;
}
