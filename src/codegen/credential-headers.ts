/**
 * Header parameters that carry credentials: `Authorization`, and the header an API-key
 * security scheme names. Some specs also declare them as each operation's parameters
 * (SendGrid's are required), but the client sends them itself (its `auth`, or a default
 * header), so the generated input types take them as optional and the README's programs
 * leave them out.
 */
import { deref, isObject, type JsonObject } from "./json.js";

const keyHeadersOf = new WeakMap<JsonObject, ReadonlySet<string>>();

/** The credential header parameters among an operation's (resolved) parameters, named as the spec declares them. */
export function credentialHeaders(doc: JsonObject, parameters: readonly JsonObject[]): string[] {
  const keyHeaders = apiKeyHeaders(doc);
  return parameters.flatMap((param) => {
    if (param.in !== "header" || typeof param.name !== "string") return [];
    const name = param.name.toLowerCase();
    return name === "authorization" || keyHeaders.has(name) ? [param.name] : [];
  });
}

/** Lower-case header names of the document's `apiKey` schemes sent in a header. */
function apiKeyHeaders(doc: JsonObject): ReadonlySet<string> {
  let names = keyHeadersOf.get(doc);
  if (names === undefined) {
    const schemes = isObject(doc.components) && isObject(doc.components.securitySchemes) ? Object.values(doc.components.securitySchemes) : [];
    names = new Set(
      schemes.flatMap((raw) => {
        const scheme = deref(doc, raw);
        return isObject(scheme) && scheme.type === "apiKey" && scheme.in === "header" && typeof scheme.name === "string" ? [scheme.name.toLowerCase()] : [];
      }),
    );
    keyHeadersOf.set(doc, names);
  }
  return names;
}
