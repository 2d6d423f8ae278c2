import { z } from 'zod';
import type { Faults } from './faults';
import { HttpError, jsonBody, type ApiRequest, type Reply } from '../http';
import { checked, ScenarioError } from '../scenario/input';

/** The bodies of POST /_sandbox/faults/<method>. Rules are checked by `faults.inject` itself. */
const requests = {
  inject: z.unknown(),
  clear: z.object({ id: z.string().optional() }).strict(),
  list: z.object({}).strict(),
  totals: z.object({}).strict(),
  resetTotals: z.object({}).strict(),
  reseed: z.object({ seed: z.number().int() }).strict(),
};

type Method = keyof typeof requests;

const invoke: { [M in Method]: (faults: Faults, body: z.output<(typeof requests)[M]>) => unknown } = {
  inject: (f, rule) => f.inject(rule as Parameters<Faults['inject']>[0]),
  clear: (f, { id }) => ({ cleared: f.clear(id) }),
  list: (f) => f.list(),
  totals: (f) => f.totals(),
  resetTotals: (f) => f.resetTotals(),
  reseed: (f, { seed }) => f.reseed(seed),
};

const isMethod = (name: string): name is Method => Object.hasOwn(requests, name);

const problem = (status: number, error: string): Reply => ({ status, body: { error } });

/**
 * The fault controls over HTTP, like the scenario API (no token): POST /_sandbox/faults/inject with a
 * rule, /clear with {id?} (answers {cleared: n}), /list (the rules), /totals, /resetTotals, /reseed {seed}.
 */
export function faultsApi(faults: Faults): (request: ApiRequest) => Promise<Reply> {
  return async (request) => {
    const name = request.path.replace(/^\//, '');
    if (!isMethod(name))
      return problem(404, `no fault method "${name}"; there are: ${Object.keys(requests).join(', ')}`);
    if (request.method !== 'POST') return { ...problem(405, 'use POST'), headers: { Allow: 'POST' } };
    try {
      const body = jsonBody(request, (message) => new HttpError(problem(400, message))) ?? {};
      const run = invoke[name] as (faults: Faults, body: unknown) => unknown;
      const result = run(faults, checked(requests[name], body));
      return { status: 200, body: result ?? {} };
    } catch (error) {
      if (error instanceof HttpError) return error.reply;
      if (error instanceof ScenarioError) return problem(400, error.message);
      throw error;
    }
  };
}
