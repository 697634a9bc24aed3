/**
 * Which declared response a status falls under, as OpenAPI defines it: the exact code,
 * then its range (`4XX`), then `default`.
 */
export function statusKeyFor(status: number, declared: Iterable<string>): string | undefined {
  const keys = new Set([...declared].map((k) => (/^[1-5]xx$/i.test(k) ? k.toUpperCase() : k)));
  const exact = String(status);
  if (keys.has(exact)) return exact;
  const range = `${exact[0]}XX`;
  if (keys.has(range)) return range;
  return keys.has("default") ? "default" : undefined;
}
