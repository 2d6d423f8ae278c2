// The status query's answer is a domain concept (domain/status.ts); re-exported for older imports.
export type * from '../domain/status';
