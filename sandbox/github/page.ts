import type { RoutedCall } from '../http';

/** One page of a GitHub list: `per_page` (default 30, at most 100) and `page`, with a `Link` header when there are others. */
export function githubPage<T>(call: RoutedCall, items: T[], selfUrl: string): { items: T[]; link?: string } {
  const perPage = Math.min(100, Math.max(1, Number(call.query.get('per_page')) || 30));
  const pageNo = Math.max(1, Number(call.query.get('page')) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  // Other query parameters (filters) stay in the links, as GitHub keeps them.
  const at = (n: number) => {
    const query = new URLSearchParams(call.query);
    query.set('per_page', String(perPage));
    query.set('page', String(n));
    return `<${selfUrl}?${query}>`;
  };
  const links = [
    ...(pageNo < last ? [`${at(pageNo + 1)}; rel="next"`, `${at(last)}; rel="last"`] : []),
    ...(pageNo > 1 ? [`${at(1)}; rel="first"`, `${at(Math.min(pageNo - 1, last))}; rel="prev"`] : []),
  ];
  return {
    items: items.slice((pageNo - 1) * perPage, pageNo * perPage),
    link: links.length > 0 ? links.join(', ') : undefined,
  };
}
