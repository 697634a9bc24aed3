/** Deterministic identifiers for generated code. */

const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval undefined"
  ).split(" "),
);

function words(input: string): string[] {
  return input
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** `repos/get-content` → `reposGetContent`; keeps an existing camelCase id as it is. */
export function toCamelIdentifier(input: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(input) && !RESERVED.has(input)) return input;
  const parts = words(input);
  let id = parts.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : capitalize(w))).join("");
  if (id === "") id = "operation";
  if (/^[0-9]/.test(id)) id = `op${id}`;
  if (RESERVED.has(id)) id = `${id}Op`;
  return id;
}

/** `bluebutton-v2` → `BluebuttonV2`. */
export function toPascalIdentifier(input: string): string {
  let id = words(input).map(capitalize).join("");
  if (id === "") id = "Provider";
  if (/^[0-9]/.test(id)) id = `P${id}`;
  return id;
}

/**
 * An operationId for an operation the spec left unnamed: method + path words,
 * `{param}` segments as `By<Param>`. `GET /patients/{id}/notes` → `getPatientsByIdNotes`.
 */
export function synthesizeOperationId(method: string, path: string): string {
  const segments = path.split("/").filter((s) => s.length > 0);
  const parts = segments.map((segment) => {
    const param = /^\{(.+)\}$/.exec(segment);
    return param ? `By${toPascalIdentifier(param[1]!)}` : toPascalIdentifier(segment);
  });
  return method.toLowerCase() + (parts.join("") || "Root");
}

/** Hands out unique names in call order: the second `x` becomes `x2`, and so on. */
export class NameAllocator {
  private readonly taken = new Set<string>();
  allocate(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}${n}`;
    this.taken.add(name);
    return name;
  }
}
