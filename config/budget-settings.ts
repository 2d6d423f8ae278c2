import { parseReserve, type BudgetSettings } from '../domain/budget';
import { parseDuration } from '../domain/duration';
import { SettingsError } from './settings-error';

/** The worker's API budgets and how often it polls a running promotion or release phase. */
export interface BudgetPair {
  heroku: BudgetSettings;
  github: BudgetSettings;
  /** The first poll of a promotion or release phase, growing to `pollMaxIntervalMs`. */
  pollIntervalMs: number;
  pollMaxIntervalMs: number;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0)
    throw new SettingsError(`${name} '${text}' is not a whole number of requests above 0`);
  return Number(text);
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const text = env[name] || fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new SettingsError(`${name} '${text}' is not a duration above 0 (e.g. 2s, 30s)`);
  return ms;
}

function reserve(env: NodeJS.ProcessEnv, name: string, pool: number): number {
  try {
    return parseReserve(env[name] || '20%', pool, name);
  } catch (error) {
    throw new SettingsError((error as Error).message);
  }
}

/**
 * From the worker's environment (every one optional):
 * CONVEYOR_HEROKU_POOL (4500), CONVEYOR_HEROKU_REFILL_PER_MINUTE (75), CONVEYOR_HEROKU_RESERVE (20%),
 * CONVEYOR_GITHUB_POOL (5000 an hour), CONVEYOR_GITHUB_RESERVE (20%),
 * CONVEYOR_POLL_INTERVAL (2s), CONVEYOR_POLL_MAX_INTERVAL (30s).
 */
export function budgetSettings(env: NodeJS.ProcessEnv = process.env): BudgetPair {
  const herokuPool = count(env, 'CONVEYOR_HEROKU_POOL', 4_500);
  const githubPool = count(env, 'CONVEYOR_GITHUB_POOL', 5_000);
  const pollIntervalMs = duration(env, 'CONVEYOR_POLL_INTERVAL', '2s');
  const pollMaxIntervalMs = duration(env, 'CONVEYOR_POLL_MAX_INTERVAL', '30s');
  if (pollMaxIntervalMs < pollIntervalMs)
    throw new SettingsError(
      `CONVEYOR_POLL_MAX_INTERVAL '${env.CONVEYOR_POLL_MAX_INTERVAL}' is shorter than CONVEYOR_POLL_INTERVAL '${env.CONVEYOR_POLL_INTERVAL || '2s'}'`,
    );
  return {
    heroku: {
      pool: herokuPool,
      refillPerMinute: count(env, 'CONVEYOR_HEROKU_REFILL_PER_MINUTE', 75),
      reserve: reserve(env, 'CONVEYOR_HEROKU_RESERVE', herokuPool),
      staleMs: 2_000,
    },
    github: { pool: githubPool, reserve: reserve(env, 'CONVEYOR_GITHUB_RESERVE', githubPool), staleMs: 60_000 },
    pollIntervalMs,
    pollMaxIntervalMs,
  };
}
