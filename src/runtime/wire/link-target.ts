/**
 * A URL a server hands back (a paging link, a Location, a status URL), as a path under the
 * client's base URL and its query. Anything that leaves the base URL's origin or path is
 * refused before a request is made: the client's credentials go with every request it sends.
 */
import { UntrustedUrlError } from "../core/errors.js";

/** Where a server link points, under the base URL. */
export interface LinkTarget {
  readonly path: string;
  /** Without the `?`. */
  readonly query: string;
}

/** Resolves server links against one base URL. */
export function linkResolver(baseUrl: string): (link: unknown) => LinkTarget {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, "");
  // Relative links resolve against the base as a directory (`…/fhir/` + `Patient/1`).
  const baseDirectory = new URL(`${base.origin}${basePath}/`);
  const expected = `${base.origin}${basePath}`;
  return (link) => {
    let url: URL;
    try {
      url = new URL(String(link), baseDirectory);
    } catch {
      throw new UntrustedUrlError(String(link).slice(0, 200), expected);
    }
    if (url.origin !== base.origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
      throw new UntrustedUrlError(url.href, expected);
    }
    return { path: url.pathname.slice(basePath.length) || "/", query: url.search.slice(1) };
  };
}
