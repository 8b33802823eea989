import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { AirlockConfig } from '../config';

type TemporalConfig = AirlockConfig['temporal'];

function tlsOptions(t: TemporalConfig) {
  if (t.tls) return { clientCertPair: { crt: readFileSync(t.tls.cert), key: readFileSync(t.tls.key) } };
  return t.apiKey ? {} : undefined; // an API key (Temporal Cloud) implies TLS
}

/** Connection for clients (CLI). Temporal Cloud: set TEMPORAL_API_KEY or TEMPORAL_TLS_CERT/KEY. */
export async function connectClient(t: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: t.address, tls: tlsOptions(t), apiKey: t.apiKey, connectTimeout: 5000 });
  return new Client({ connection, namespace: t.namespace });
}

/** Connection for workers. */
export function connectWorker(t: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect({ address: t.address, tls: tlsOptions(t), apiKey: t.apiKey });
}
