import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv-draft-04';

/**
 * Heroku's published Platform API hyper-schema (sandbox/heroku/schema, kept in the repository with its
 * MIT licence so that a fresh clone needs nothing beside it) as a validator
 * of response bodies. A response is checked against the `targetSchema` of the schema's link for its
 * method and path (the definition itself when a link has none).
 *
 * Two readings of the schema beyond plain draft-04, both Heroku's own (prmd/interagent):
 * - `strictProperties: true` means the object has exactly its listed properties: all present, none
 *   other. It is applied as `required` + `additionalProperties: false`.
 * - formats are checked as Heroku writes them: `date-time` is "2012-01-01T12:00:00Z" (UTC, whole seconds).
 */

const SCHEMA_URL = new URL('../../../sandbox/heroku/schema/platform-api.schema.json', import.meta.url);

type SchemaNode = Record<string, unknown>;

interface Link {
  method: string;
  pattern: RegExp;
  /** JSON pointer of the schema its responses follow. */
  pointer: string;
  href: string;
}

/**
 * Applies `strictProperties`, and drops the string `id`s below the root: they are example data, not
 * schema ids (a draft-04 validator would take them for ids, and several are the same example uuid).
 */
function prepare(node: unknown, isRoot = true): void {
  if (Array.isArray(node)) return node.forEach((item) => prepare(item, false));
  if (node === null || typeof node !== 'object') return;
  const schema = node as SchemaNode;
  if (!isRoot && typeof schema.id === 'string') delete schema.id;
  if (schema.strictProperties === true && schema.properties && typeof schema.properties === 'object') {
    schema.required = Object.keys(schema.properties);
    schema.additionalProperties = false;
  }
  Object.values(schema).forEach((value) => prepare(value, false));
}

const FORMATS: Record<string, (value: string) => boolean> = {
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v),
  'date-time': (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)),
  email: (v) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v),
  uri: (v) => /^[a-z][a-z0-9+.-]*:/i.test(v) && URL.canParse(v),
  ipv4: (v) => /^(\d{1,3})(\.\d{1,3}){3}$/.test(v) && v.split('.').every((part) => Number(part) <= 255),
};

export class PlatformSchema {
  private readonly ajv: Ajv;
  private readonly links: Link[] = [];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly id: string;

  constructor() {
    const root = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaNode & {
      id: string;
      definitions: Record<string, SchemaNode>;
    };
    prepare(root);
    this.id = root.id.replace(/#$/, '');
    this.ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true });
    for (const [name, check] of Object.entries(FORMATS)) this.ajv.addFormat(name, check);
    this.ajv.addSchema(root);

    for (const [name, definition] of Object.entries(root.definitions)) {
      const links = (definition.links ?? []) as { method: string; href: string; targetSchema?: unknown }[];
      links.forEach((link, i) => {
        const source = link.href
          .split(/\{\([^)]*\)\}/)
          .map((literal) => literal.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
          .join('[^/]+');
        const pointer = link.targetSchema ? `/definitions/${name}/links/${i}/targetSchema` : `/definitions/${name}`;
        this.links.push({
          method: link.method,
          pattern: new RegExp(`^${source}$`),
          pointer,
          href: decodeURIComponent(link.href),
        });
      });
    }
  }

  /** The schema links a request matches (there can be more than one, with the same answer). */
  linksFor(method: string, path: string): Link[] {
    return this.links.filter((link) => link.method === method && link.pattern.test(path));
  }

  /** The problems of `body` as the answer to `method path`; empty when it conforms. */
  problems(method: string, path: string, body: unknown): string[] {
    const links = this.linksFor(method, path);
    if (links.length === 0) return [`the schema has no link for ${method} ${path}`];
    return links.flatMap((link) => {
      const validate = this.validator(link.pointer);
      if (validate(body)) return [];
      return (validate.errors ?? []).map(
        (e) =>
          `${link.href} -> ${link.pointer}: ${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
      );
    });
  }

  /** Problems of `value` against one definition, e.g. "release". */
  definitionProblems(name: string, value: unknown): string[] {
    const validate = this.validator(`/definitions/${name}`);
    return validate(value)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${name}: ${e.instancePath || '(value)'} ${e.message} ${JSON.stringify(e.params)}`,
        );
  }

  private validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.getSchema(`${this.id}#${pointer}`);
      if (!validate) throw new Error(`no schema at ${pointer}`);
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}
