import { readFileSync } from 'node:fs';
import type { Service } from '../domain/service';
import { describeIssues, servicesFile, toService } from './schema';

/** A services file that cannot be used; `problems` has one line per problem, each naming where. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(problems.map((p) => `${file}: ${p}`).join('\n'));
  }
}

export function parseServices(text: string, file = 'services file'): Service[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const parsed = servicesFile.safeParse(json);
  if (!parsed.success) throw new ConfigError(file, describeIssues(parsed.error));
  return parsed.data.services.map((spec) => toService(spec, parsed.data.global));
}

export function loadServices(file: string): Service[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseServices(text, file);
}
