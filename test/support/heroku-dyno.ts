// Processes started as Heroku starts a Procfile's: through a shell, from the app's root, PORT and DYNO set.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../../temporal/paths';

/** The Procfile's process types and their commands. */
export function procfile(): Record<string, string> {
  const text = readFileSync(join(projectRoot, 'Procfile'), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf(':');
        return [line.slice(0, at).trim(), line.slice(at + 1).trim()];
      }),
  );
}

export interface Dyno {
  child: ChildProcess;
  /** Sends a signal to every process of the dyno. */
  signal(name: NodeJS.Signals): void;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Heroku's stop: SIGTERM, then SIGKILL `killAfterMs` later (30 s) if it is still running. Answers how long it took. */
  stop(killAfterMs?: number): Promise<{ ms: number; killed: boolean; code: number | NodeJS.Signals | null }>;
}

/** Starts a Procfile process type as a dyno named `dyno` (e.g. web.1). */
export function startDyno(type: string, dyno: string, env: NodeJS.ProcessEnv): Dyno {
  const command = procfile()[type];
  if (!command) throw new Error(`the Procfile has no ${type} process`);
  // Heroku runs the command with bash -c and signals every process of the dyno: here, its own process group.
  const child = spawn('bash', ['-c', command], {
    cwd: projectRoot,
    env: { ...env, DYNO: dyno },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return {
    child,
    signal,
    output: () => output,
    exited,
    async stop(killAfterMs = 30_000) {
      const started = Date.now();
      let killed = false;
      signal('SIGTERM');
      const timer = setTimeout(() => {
        killed = true;
        signal('SIGKILL');
      }, killAfterMs);
      const code = await exited;
      clearTimeout(timer);
      return { ms: Date.now() - started, killed, code };
    },
  };
}

/** Waits until the dyno printed something matching `pattern`; fails with its output if it exits first. */
export function printed(dyno: Dyno, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = pattern.exec(dyno.output());
      if (found) {
        clearInterval(timer);
        resolve(found);
      }
    };
    const timer = setInterval(check, 100);
    void dyno.exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`exited (${code}) before printing ${pattern}:\n${dyno.output()}`));
    });
    setTimeout(() => {
      clearInterval(timer);
      reject(new Error(`printed no ${pattern} within ${timeoutMs} ms:\n${dyno.output()}`));
    }, timeoutMs).unref();
  });
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with any Host header (fetch will not send one of its own choosing). */
export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
