import { createServer, type Server } from 'node:http';

/** A local webhook receiver: records every JSON body posted to it and answers `status`. */
export interface Receiver {
  url: string;
  bodies: unknown[];
  status: number;
  stop(): Promise<void>;
}

export async function startReceiver(status = 200): Promise<Receiver> {
  const receiver = { bodies: [] as unknown[], status } as Receiver;
  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => (raw += chunk));
    request.on('end', () => {
      try {
        receiver.bodies.push(JSON.parse(raw));
      } catch {
        receiver.bodies.push(raw);
      }
      response.writeHead(receiver.status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  receiver.stop = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
