import { Client, Connection } from '@temporalio/client';
import { UserError } from './errors';

export interface TemporalTarget {
  address: string;
  namespace: string;
}

/** A Temporal client, or a clear error naming the address that did not answer. */
export async function connectClient({ address, namespace }: TemporalTarget): Promise<Client> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 3_000 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    throw new UserError(`cannot reach the Temporal server at ${address} (set TEMPORAL_ADDRESS, or run 'npm start' for a local one)`);
  }
  return new Client({ connection, namespace });
}
