import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { UsageError } from './errors';

/** Colours only on a terminal, never with NO_COLOR set (https://no-color.org); FORCE_COLOR forces them. */
export function colorsOn(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

const CODES = { red: [31, 39], green: [32, 39], yellow: [33, 39], bold: [1, 22], dim: [2, 22] } as const;
export type Style = keyof typeof CODES;

/** Paints `text` when colours are on, else leaves it plain. */
export const painter = (on: boolean) => (style: Style, text: string) =>
  on ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text;

/** A line on stderr: progress and notes never mix with what a script reads from stdout. */
export const note = (line: string) => process.stderr.write(`conveyor: ${line}\n`);

/**
 * Runs `work`; when it takes longer than a second, says what it is doing on stderr, so a slow
 * check or a wait for a decision does not look like a hang.
 */
export async function slow<T>(label: string, work: () => Promise<T>, afterMs = 1_000): Promise<T> {
  const timer = setTimeout(() => note(`${label}...`), afterMs);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
  }
}

/** A person at a terminal on both ends: only then may conveyor ask a question. */
export const interactive = () => !!process.stdin.isTTY && !!process.stderr.isTTY;

/**
 * Asks before something that cannot be taken back. `--yes` answers for scripts; without a terminal
 * and without `--yes` the command is refused (exit 2), never silently done.
 */
export async function askYes(question: string, options: { yes?: boolean; flag?: string }): Promise<boolean> {
  if (options.yes) return true;
  if (!interactive())
    throw new UsageError(`${question.replace(/\?$/, '')}: pass --yes to confirm (there is no terminal to ask)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export interface Identity {
  by: string;
  source: 'flag' | 'CONVEYOR_USER' | 'git' | 'os';
}

const gitEmail = (): string | undefined => {
  try {
    return (
      execFileSync('git', ['config', '--get', 'user.email'], {
        encoding: 'utf8',
        timeout: 2_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim() || undefined
    );
  } catch {
    return undefined;
  }
};

/**
 * Who is acting, for audit records: --by, else CONVEYOR_USER, else git's user.email. Only when none
 * is set does the OS account name stand in, and then conveyor says so on stderr.
 */
export function identity(by: string | undefined, env: NodeJS.ProcessEnv = process.env): Identity {
  if (by?.trim()) return { by: by.trim(), source: 'flag' };
  if (env.CONVEYOR_USER?.trim()) return { by: env.CONVEYOR_USER.trim(), source: 'CONVEYOR_USER' };
  const email = gitEmail();
  if (email) return { by: email, source: 'git' };
  const account = userInfo().username;
  note(`recording you as "${account}", this machine's account name: set CONVEYOR_USER or pass --by to say who you are`);
  return { by: account, source: 'os' };
}
