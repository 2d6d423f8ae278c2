import { pino, type Logger as Pino, type DestinationStream, type Level } from 'pino';
import pretty from 'pino-pretty';
import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import { SettingsError } from '../config/settings-error';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type ConveyorLogLevel = (typeof LOG_LEVELS)[number];

/** CONVEYOR_LOG_LEVEL (default info), checked. */
export function logLevel(env: NodeJS.ProcessEnv = process.env): ConveyorLogLevel {
  const value = (env.CONVEYOR_LOG_LEVEL || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new SettingsError(`CONVEYOR_LOG_LEVEL '${env.CONVEYOR_LOG_LEVEL}' is not one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as ConveyorLogLevel;
}

/**
 * Keys whose values never reach a log line, wherever they appear in a line's fields (an SDK error
 * that carries request options, a header map, a settings object).
 */
const SECRET_KEYS = [
  'apiKey',
  'api_key',
  'token',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'herokuToken',
  'githubToken',
  'clientCertPair',
];

export interface LoggerOptions {
  level?: ConveyorLogLevel;
  /** Human-readable lines (pino-pretty) instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

/** conveyor's one log stream: JSON lines (one object per line), or readable lines on a terminal. */
export function createLogger(options: LoggerOptions = {}): Pino {
  const readable = options.pretty ?? !!process.stdout.isTTY;
  const config = {
    level: options.level ?? 'info',
    base: { pid: process.pid, app: 'conveyor' },
    redact: {
      paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)],
      censor: '[redacted]',
    },
  };
  const destination =
    options.destination ??
    (readable
      ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,app' })
      : pino.destination({ dest: 1, sync: true }));
  return pino(config, destination);
}

const levels: Record<LogLevel, Level> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };

/**
 * The SDK's Logger interface over pino: set as the Runtime logger, it receives the worker's own
 * logs, workflow `log.*` calls (with workflowId, runId, taskQueue...), activity `log.*` calls and
 * Core's forwarded logs, so all of them land in the same stream.
 */
export class PinoTemporalLogger implements TemporalLogger {
  constructor(readonly pino: Pino) {}

  log(level: LogLevel, message: string, meta: LogMetadata = {}): void {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta)) {
      // Errors as {type, message, stack}; the rest as they are.
      fields[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
    }
    this.pino[levels[level] ?? 'info'](fields, message);
  }
  trace(message: string, meta?: LogMetadata) {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata) {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata) {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata) {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata) {
    this.log('ERROR', message, meta);
  }
}
