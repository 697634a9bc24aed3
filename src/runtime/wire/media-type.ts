/** Media-type questions asked in several places (codegen, runtime, simulator, contract runner). */

/** `application/json`, `application/fhir+json`, `application/problem+json; charset=utf-8`, `text/json`. */
export function isJsonMediaType(type: string | null | undefined): boolean {
  return /^(?:application\/(?:[\w.+-]+\+)?json|text\/json)\s*(?:;|$)/i.test((type ?? "").trim());
}

/** Whether `actual` is covered by a declared media range (`application/json`, `image/*`, `application/*+json`, `*\/*`). */
export function mediaTypeMatches(declared: string, actual: string): boolean {
  const d = declared.split(";")[0]!.trim().toLowerCase();
  const a = actual.split(";")[0]!.trim().toLowerCase();
  if (d === "*/*" || d === a) return true;
  if (d.endsWith("/*")) return a.startsWith(d.slice(0, -1));
  // A structured-syntax range: `application/*+json` takes `application/fhir+json`, and plain
  // `application/json` as the servers that declare such ranges do.
  const suffixed = /^([^/]+)\/\*\+([^/*]+)$/.exec(d);
  if (suffixed === null) return false;
  const [, type, suffix] = suffixed;
  return a === `${type}/${suffix}` || (a.startsWith(`${type}/`) && a.endsWith(`+${suffix}`) && a.length > type!.length + suffix!.length + 2);
}

/** Whether a media type names a range (`application/*+json`, `*\/*`) rather than one type: a range is never sent as a Content-Type. */
export function isMediaRange(type: string): boolean {
  return type.includes("*");
}

/**
 * The Content-Type a request body goes out with: the first type the operation declares that
 * is not a range (specs made from ASP.NET list `application/*+json` first, which no server
 * reads as JSON), else JSON.
 */
export function requestContentType(declared: readonly string[] | undefined): string {
  return declared?.find((type) => !isMediaRange(type)) ?? "application/json";
}
