/** An error meant for a person: the CLI prints its message on one line and exits non-zero. */
export class UserError extends Error {}
