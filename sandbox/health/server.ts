import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { HealthWorld, type HealthControls } from './world';

export interface HealthSandboxOptions {
  /** 0 (any free port) unless given. */
  port?: number;
  /** The credentials Librato's stand-in accepts. */
  libratoEmail?: string;
  libratoToken?: string;
}

export interface HealthSandbox {
  url: string;
  herokuStatusUrl: string;
  statuspageUrl: string;
  libratoUrl: string;
  librato: { email: string; token: string };
  /** Where GET /probe/{name} answers what setProbe configured. */
  probeUrl(name: string): string;
  controls: HealthControls;
  stop(): Promise<void>;
}

const incidentImpact = z.enum(['none', 'minor', 'major', 'critical', 'maintenance']);
const alertId = z.union([z.string().min(1), z.number()]);

/** POST /_health/<method> bodies: the controls, for the standalone sandbox and the demo. */
const remote: Record<string, (controls: HealthControls, body: unknown) => unknown> = {
  openIncident: (c, body) => ({
    id: c.openIncident(
      z
        .object({
          source: z.enum(['heroku-status', 'statuspage']),
          title: z.string().min(1),
          impact: incidentImpact.optional(),
          components: z.array(z.string()).optional(),
        })
        .parse(body),
    ),
  }),
  resolveIncident: (c, body) => c.resolveIncident(z.object({ id: z.string() }).parse(body).id),
  setSystem: (c, body) => {
    const { system, status } = z
      .object({ system: z.string().min(1), status: z.enum(['green', 'yellow', 'red']) })
      .parse(body);
    c.setSystem(system, status);
  },
  fireLibrato: (c, body) => c.fireLibrato(z.object({ alertId }).parse(body).alertId),
  clearLibrato: (c, body) => c.clearLibrato(z.object({ alertId }).parse(body).alertId),
  setProbe: (c, body) => {
    const { name, ...answer } = z
      .object({
        name: z.string().min(1),
        status: z.number().int().min(100).max(599),
        delayMs: z.number().min(0).optional(),
        location: z.string().optional(),
      })
      .parse(body);
    c.setProbe(name, answer);
  },
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

/** Stand-ins for Heroku status, a Statuspage, Librato and a stage's URLs, on one loopback port. */
export async function startHealthSandbox(options: HealthSandboxOptions = {}): Promise<HealthSandbox> {
  const librato = {
    email: options.libratoEmail ?? 'conveyor@example.com',
    token: options.libratoToken ?? 'sandbox-librato-token',
  };
  const expectedAuth = `Basic ${Buffer.from(`${librato.email}:${librato.token}`).toString('base64')}`;
  const pending = new Set<NodeJS.Timeout>();
  let world: HealthWorld | undefined;

  function answerProbe(name: string, res: ServerResponse): void {
    const answer = world!.probe(name);
    if (!answer) return send(res, 404, { error: `no probe named ${name}; set one with setProbe` });
    const reply = () => {
      pending.delete(timer);
      if (!res.destroyed)
        send(
          res,
          answer.status,
          { probe: name, status: answer.status },
          answer.location ? { location: answer.location } : {},
        );
    };
    const timer = setTimeout(reply, answer.delayMs ?? 0);
    pending.add(timer);
    // A client that gave up (a timeout) leaves nothing to answer.
    res.on('close', () => {
      clearTimeout(timer);
      pending.delete(timer);
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname } = new URL(req.url ?? '/', 'http://sandbox');
    const get = req.method === 'GET';
    if (get && pathname === '/heroku-status/api/v4/current-status') return send(res, 200, world!.herokuCurrentStatus());
    if (get && pathname === '/statuspage/api/v2/incidents/unresolved.json')
      return send(res, 200, world!.statuspageUnresolved());
    if (get && pathname === '/librato/v1/alerts/status') {
      if (req.headers.authorization !== expectedAuth)
        return send(
          res,
          401,
          { errors: { request: ['Authorization Required'] } },
          { 'www-authenticate': 'Basic realm="Librato API"' },
        );
      return send(res, 200, world!.libratoStatus());
    }
    if (get && pathname.startsWith('/probe/'))
      return answerProbe(decodeURIComponent(pathname.slice('/probe/'.length)), res);
    if (req.method === 'POST' && pathname.startsWith('/_health/')) {
      const control = Object.hasOwn(remote, pathname.slice('/_health/'.length))
        ? remote[pathname.slice('/_health/'.length)]
        : undefined;
      if (!control)
        return send(res, 404, { error: `no control ${pathname}; one of ${Object.keys(remote).join(', ')}` });
      try {
        return send(res, 200, { ok: true, ...(control(world!, await readBody(req)) as object | undefined) });
      } catch (error) {
        const message = error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message;
        return send(res, 400, { error: message });
      }
    }
    send(res, 404, { error: `nothing at ${req.method} ${pathname}` });
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  world = new HealthWorld(url);

  return {
    url,
    herokuStatusUrl: `${url}/heroku-status`,
    statuspageUrl: `${url}/statuspage`,
    libratoUrl: `${url}/librato`,
    librato,
    probeUrl: (name) => `${url}/probe/${encodeURIComponent(name)}`,
    controls: world,
    async stop() {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
