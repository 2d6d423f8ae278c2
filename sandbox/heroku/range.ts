/**
 * Heroku's list paging through the `Range` header:
 *   Range: <field> [<start>]..[<end>][; max=<n>][, order=asc|desc]
 * A `]` before the start excludes it. A page that leaves items out answers 206 with
 * `Next-Range: <field> ]<last>..[<end>]; max=<n>, order=<order>`; the last page answers 200 without it,
 * so a client that follows Next-Range (heroku-client does) stops.
 */

export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

export type Order = 'asc' | 'desc';

/** A field a list can be ordered and ranged on. */
export interface RangeField<T> {
  name: string;
  key(item: T): string | number;
  /** Reads a start or end bound written in the header; undefined when it is not a value of this field. */
  parse(text: string): string | number | undefined;
}

export interface RangeRequest {
  field: string;
  start?: string;
  startExclusive: boolean;
  end?: string;
  max: number;
  order: Order;
}

export interface Page<T> {
  items: T[];
  status: 200 | 206;
  headers: Record<string, string>;
}

export class InvalidRange extends Error {}

export const uuidField = <T extends { id: string }>(): RangeField<T> => ({
  name: 'id',
  key: (item) => item.id,
  parse: (text) => (/^[0-9a-f-]{1,36}$/i.test(text) ? text.toLowerCase() : undefined),
});

export const integerField = <T>(name: string, key: (item: T) => number): RangeField<T> => ({
  name,
  key,
  parse: (text) => (/^\d+$/.test(text) ? Number(text) : undefined),
});

export function parseRange(header: string): RangeRequest {
  const match = /^\s*([a-z_]+)\s+(\]?)([^.;,\s]*)\.\.([^.;,\s]*)\s*(?:;(.*))?$/i.exec(header);
  if (!match)
    throw new InvalidRange(
      `Invalid Range header "${header}": expected "<field> [start]..[end][; max=N, order=asc|desc]".`,
    );
  const [, field, exclusive, start, end, params = ''] = match;
  const request: RangeRequest = { field, startExclusive: exclusive === ']', max: DEFAULT_PAGE, order: 'asc' };
  if (start) request.start = start;
  if (end) request.end = end;
  for (const param of params
    .split(/[;,]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value = ''] = param.split('=').map((part) => part.trim());
    if (name === 'max' && /^\d+$/.test(value) && Number(value) > 0) request.max = Math.min(Number(value), MAX_PAGE);
    else if (name === 'order' && (value === 'asc' || value === 'desc')) request.order = value;
    else throw new InvalidRange(`Invalid Range header "${header}": unknown parameter "${param}".`);
  }
  return request;
}

const compare = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of `items` as the Range header asks (or the list's default when there is none).
 * Throws InvalidRange for a header this list cannot answer.
 */
export function paginate<T>(
  items: T[],
  header: string | undefined,
  fields: RangeField<T>[],
  defaultField: string,
): Page<T> {
  const request = header
    ? parseRange(header)
    : { field: defaultField, startExclusive: false, max: DEFAULT_PAGE, order: 'asc' as Order };
  const field = fields.find((f) => f.name === request.field);
  if (!field)
    throw new InvalidRange(
      `Invalid Range header: this list can be ranged on ${fields.map((f) => f.name).join(', ')}, not "${request.field}".`,
    );
  const bound = (text: string | undefined) => {
    if (text === undefined) return undefined;
    const value = field.parse(text);
    if (value === undefined) throw new InvalidRange(`Invalid Range header: "${text}" is not a ${field.name}.`);
    return value;
  };
  const start = bound(request.start);
  const end = bound(request.end);
  const direction = request.order === 'asc' ? 1 : -1;
  // "After" means further along the order: greater when ascending, smaller when descending.
  const after = (key: string | number, than: string | number) => compare(key, than) * direction;

  const selected = items
    .map((item) => ({ item, key: field.key(item) }))
    .filter(
      ({ key }) => start === undefined || (request.startExclusive ? after(key, start) > 0 : after(key, start) >= 0),
    )
    .filter(({ key }) => end === undefined || after(key, end) <= 0)
    .sort((a, b) => compare(a.key, b.key) * direction);
  const page = selected.slice(0, request.max);
  const more = selected.length > page.length;

  const headers: Record<string, string> = { 'Accept-Ranges': fields.map((f) => f.name).join(', ') };
  const suffix = `; max=${request.max}, order=${request.order}`;
  if (page.length > 0) headers['Content-Range'] = `${field.name} ${page[0].key}..${page[page.length - 1].key}${suffix}`;
  if (more) headers['Next-Range'] = `${field.name} ]${page[page.length - 1].key}..${request.end ?? ''}${suffix}`;
  return { items: page.map((p) => p.item), status: more ? 206 : 200, headers };
}
