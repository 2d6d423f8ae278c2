import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import type { Service } from '../domain/service';
import { keysAt, servicesJsonSchema } from './json-schema';
import { formatPath, servicesFile, toService } from './schema';
import { closest } from './suggest';

/** One thing wrong with a services file, and where: line and column count from 1. */
export interface Problem {
  path: string;
  message: string;
  line?: number;
  column?: number;
}

const where = (file: string, p: Problem) => (p.line ? `${file}:${p.line}:${p.column}` : file);

/** A services file that cannot be used: every problem at once, each naming where. */
export class ConfigError extends Error {
  /** "path: message", without the file and position (the lines `message` has). */
  readonly problems: string[];
  constructor(
    readonly file: string,
    readonly details: Problem[],
  ) {
    super(details.map((p) => `${where(file, p)} ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
    this.problems = details.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  }
}

export type Format = 'yaml' | 'json';

/** YAML for .yaml and .yml, JSON otherwise. */
export const formatOf = (file: string): Format =>
  ['.yaml', '.yml'].includes(extname(file).toLowerCase()) ? 'yaml' : 'json';

export interface ServicesFile {
  file: string;
  services: Service[];
}

/** Reads and validates a services file; throws a ConfigError listing every problem. */
export function parseServices(text: string, file = 'services.json', format: Format = formatOf(file)): Service[] {
  const lineCounter = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (format === 'json') {
    try {
      JSON.parse(text);
    } catch (error) {
      throw new ConfigError(file, [jsonSyntaxProblem(text, error as Error)]);
    }
  }
  // The YAML parser reads JSON too, and keeps where every node starts: one source of positions.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        message: `not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${e.message.split('\n')[0]}`,
        ...at(e.pos[0]),
      })),
    );
  }
  const data: unknown = doc.toJS();
  const parsed = servicesFile.safeParse(data ?? {}, { reportInput: true });
  if (!parsed.success) throw new ConfigError(file, describe(parsed.error, doc, at));
  return parsed.data.services.map((spec) => toService(spec, parsed.data.global));
}

export function loadServices(file: string): Service[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [
      { path: '', message: code === 'ENOENT' ? 'no such file' : `cannot read: ${code ?? (error as Error).message}` },
    ]);
  }
  return parseServices(text, file);
}

/** JSON.parse says "at position N" (Node 20) or "(line L column C)" (newer); either way, a position. */
function jsonSyntaxProblem(text: string, error: Error): Problem {
  const message = error.message.replace(/ in JSON at position \d+.*$| \(line \d+ column \d+\)$/, '');
  const lc = /line (\d+) column (\d+)/.exec(error.message);
  if (lc) return { path: '', message: `not valid JSON: ${message}`, line: Number(lc[1]), column: Number(lc[2]) };
  const position = /position (\d+)/.exec(error.message);
  if (!position) return { path: '', message: `not valid JSON: ${message}` };
  const before = text.slice(0, Number(position[1])).split('\n');
  return {
    path: '',
    message: `not valid JSON: ${message}`,
    line: before.length,
    column: before[before.length - 1].length + 1,
  };
}

/** The node at `path`, or the nearest one above it, and for a key its own node. */
function locate(doc: Document, path: readonly PropertyKey[]): { node: Node | null; key?: Node } {
  let node = doc.contents;
  let key: Node | undefined;
  for (const step of path) {
    key = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(step));
      if (!pair) break;
      key = pair.key as Node;
      node = pair.value as Node | null;
      if (!node) return { node: key, key };
    } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
      node = node.items[step] as Node;
    } else break;
  }
  return { node, key };
}

type At = (offset: number) => { line: number; column: number };

const kind = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'an object'
        : typeof value === 'string'
          ? `"${value}"`
          : JSON.stringify(value);
const expected: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  record: 'an object',
};

function describe(error: z.ZodError, doc: Document, at: At): Problem[] {
  const schema = servicesJsonSchema();
  const problems: Problem[] = [];
  const position = (path: readonly PropertyKey[], ofKey = false) => {
    const found = locate(doc, path);
    const node = ofKey ? (found.key ?? found.node) : found.node;
    return node?.range ? at(node.range[0]) : {};
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, issue.path);
      for (const key of issue.keys) {
        const near = closest(key, known);
        const path = [...issue.path, key];
        problems.push({
          path: formatPath(path),
          message: `unknown key${near ? ` (did you mean "${near}"?)` : known.length ? `; known keys: ${known.join(', ')}` : ''}`,
          ...position(path, true),
        });
      }
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && /^Invalid input/.test(message)) {
      message =
        issue.input === undefined
          ? 'is required'
          : `must be ${expected[issue.expected] ?? issue.expected}, not ${kind(issue.input)}`;
    }
    // A stageChecks key that is not a stage is about the key, not what it holds.
    const aboutKey = issue.code === 'custom' && issue.path.at(-2) === 'stageChecks';
    problems.push({ path: formatPath(issue.path) || '(file)', message, ...position(issue.path, aboutKey) });
  }
  // In file order, as an editor lists them.
  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
