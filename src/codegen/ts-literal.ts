/**
 * A JSON value written as a TypeScript expression for documentation snippets: keys
 * unquoted where they are identifiers, short objects on one line, long ones indented.
 */

/** Longest single-line rendering kept on one line. */
const INLINE_WIDTH = 80;

export function tsLiteral(value: unknown, indent: number): string {
  const inline = render(value, indent, true);
  return inline.length <= INLINE_WIDTH ? inline : render(value, indent, false);
}

function render(value: unknown, indent: number, inline: boolean): string {
  if (value === null || typeof value !== "object") return value === undefined ? "undefined" : JSON.stringify(value);
  const pad = "  ".repeat(indent + 1);
  const close = "  ".repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const items = value.map((item) => (inline ? render(item, indent + 1, true) : tsLiteral(item, indent + 1)));
    return inline ? `[${items.join(", ")}]` : `[\n${items.map((i) => `${pad}${i},`).join("\n")}\n${close}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  const items = entries.map(([key, item]) => `${propertyKey(key)}: ${inline ? render(item, indent + 1, true) : tsLiteral(item, indent + 1)}`);
  return inline ? `{ ${items.join(", ")} }` : `{\n${items.map((i) => `${pad}${i},`).join("\n")}\n${close}}`;
}

/** An object key as TypeScript writes it: bare when it is an identifier. */
export function propertyKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}
