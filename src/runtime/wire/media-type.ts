/** Media-type questions asked in several places (codegen, runtime, simulator, contract runner). */

/** `application/json`, `application/fhir+json`, `application/problem+json; charset=utf-8`, `text/json`. */
export function isJsonMediaType(type: string | null | undefined): boolean {
  return /^(?:application\/(?:[\w.+-]+\+)?json|text\/json)\s*(?:;|$)/i.test((type ?? "").trim());
}

/** Whether `actual` is covered by a declared media range (`application/json`, `image/*`, `*\/*`). */
export function mediaTypeMatches(declared: string, actual: string): boolean {
  const d = declared.split(";")[0]!.trim().toLowerCase();
  const a = actual.split(";")[0]!.trim().toLowerCase();
  if (d === "*/*" || d === a) return true;
  return d.endsWith("/*") && a.startsWith(d.slice(0, -1));
}
