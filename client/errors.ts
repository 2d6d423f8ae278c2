import { isGrpcServiceError } from '@temporalio/client';
import { distance } from '../config/suggest';

/**
 * conveyor's exit codes: 0 done; 1 refused or failed (a validator said no, nothing was started);
 * 2 usage or bad input (a flag, a file, an unknown service); 3 Temporal or Heroku cannot be reached.
 */
export const EXIT = { ok: 0, refused: 1, usage: 2, unreachable: 3 } as const;

export type ErrorKind = 'refused' | 'usage' | 'unreachable' | 'internal';

/** An error meant for a person: the CLI prints its message on one line and exits with its code. */
export class UserError extends Error {
  readonly kind: ErrorKind = 'refused';
  get exitCode(): number {
    return EXIT[this.kind as keyof typeof EXIT] ?? 1;
  }
  /** Extra fields for `--json` errors. */
  details: Record<string, unknown> = {};
}

/** A bad flag, file or name: exit 2. */
export class UsageError extends UserError {
  override readonly kind = 'usage';
}

/** Temporal or Heroku did not answer, or refused the credentials: exit 3. */
export class UnreachableError extends UserError {
  override readonly kind = 'unreachable';
}

const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  INVALID_ARGUMENT: 3,
} as const;

export interface Where {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

/** The gRPC status somewhere in an error's causes, if any. */
function grpcStatus(error: unknown): { code: number; details: string } | undefined {
  for (let e = error as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details || e.message };
  }
  return undefined;
}

const noWorker = (taskQueue = 'conveyor') =>
  `no worker is polling task queue ${taskQueue}: is \`conveyor worker\` running?`;
export const noWorkerError = (where: Where) =>
  Object.assign(new UnreachableError(noWorker(where.taskQueue)), {
    details: { taskQueue: where.taskQueue ?? 'conveyor' },
  });

/**
 * What a person can do about an error from Temporal, in one line; undefined for errors that are
 * not about reaching or configuring Temporal (those are conveyor's own bugs, shown with their stack).
 */
export function explainTemporalError(error: unknown, where: Where = {}): UserError | undefined {
  const name = (error as Error)?.name;
  const message = String((error as Error)?.message ?? '');
  const namespace = where.namespace ?? 'default';
  if (name === 'NamespaceNotFoundError' || /namespace .*not found/i.test(message))
    return new UnreachableError(
      `namespace "${namespace}" does not exist on ${where.address ?? 'the Temporal server'} (set TEMPORAL_NAMESPACE or --namespace)`,
    );
  const status = grpcStatus(error);
  if (name === 'WorkflowUpdateRPCTimeoutOrCancelledError' || status?.code === GRPC.DEADLINE_EXCEEDED) {
    if (/query timed out before a worker/i.test(status?.details ?? '')) return noWorkerError(where);
    return new UnreachableError(
      `the pipeline did not answer in time: is \`conveyor worker\` running for task queue ${where.taskQueue ?? 'conveyor'}?`,
    );
  }
  if (!status) return undefined;
  const details = status.details.split('\n')[0];
  switch (status.code) {
    case GRPC.UNAVAILABLE:
      if (/ssl|tls|certificate|handshake/i.test(details))
        return new UnreachableError(
          `TLS failed talking to ${where.address ?? 'Temporal'}: ${details} (check --tls-* or the profile)`,
        );
      return new UnreachableError(`cannot reach the Temporal server at ${where.address ?? 'its address'}: ${details}`);
    case GRPC.UNAUTHENTICATED:
    case GRPC.PERMISSION_DENIED:
      return new UnreachableError(
        `Temporal refused the credentials for namespace "${namespace}": ${details} (check --api-key, the mTLS certificate or the profile)`,
      );
    case GRPC.FAILED_PRECONDITION:
      if (/poller|worker/i.test(details)) return noWorkerError(where);
      return undefined;
    case GRPC.INVALID_ARGUMENT: {
      const attribute = /(Conveyor\w+)/.exec(details)?.[1];
      if (/search attribute/i.test(details) || attribute)
        return new UserError(
          `search attribute ${attribute ?? ''} is not registered in namespace "${namespace}": run \`temporal operator search-attribute create --namespace ${namespace} --name ${attribute ?? 'ConveyorService'} --type ${attribute === 'ConveyorPaused' ? 'Bool' : 'Keyword'}\` (see the README)`.replace(
            'attribute  is',
            'attribute is',
          ),
        );
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * "; did you mean api-eu01?" for a name close to one of `known` (as commander suggests commands and
 * flags: within 40 % of the name's length in edits), else "".
 */
export function didYouMean(name: string, known: readonly string[]): string {
  const scored = known
    .map((candidate) => ({ candidate, edits: distance(name.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ candidate, edits }) => edits > 0 && edits <= Math.max(1, Math.floor(candidate.length * 0.4)))
    .sort((a, b) => a.edits - b.edits);
  const best = scored.filter((s) => s.edits === scored[0]?.edits).map((s) => s.candidate);
  return best.length ? `; did you mean ${best.join(' or ')}?` : '';
}
