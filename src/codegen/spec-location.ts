/**
 * Where a spec lives, a file or an http(s) URL, and how a URL is shown. Free of imports, so
 * the CLI (watch, init) and the config reader can ask without loading the spec fetcher.
 */

export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * A URL as messages and generated headers show it: without credentials, and with the query
 * reduced to a mark, since spec links often carry an access token there.
 */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  const query = parsed.search === "" ? "" : "?…";
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
}
