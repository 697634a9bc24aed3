/**
 * A string that matches a simple `pattern` (literals, character classes, counted
 * repeats), for request values the sampler leaves as "string": ids such as
 * `^AC[0-9a-fA-F]{32}$` are refused otherwise, and the operation is never exercised.
 * Patterns with groups or alternatives are left alone: undefined.
 */
export function sampleForPattern(pattern: string): string | undefined {
  let out = "";
  let i = 0;
  const source = pattern;
  while (i < source.length) {
    let unit: string | undefined;
    const c = source[i]!;
    if ((c === "^" && i === 0) || (c === "$" && i === source.length - 1)) {
      i++;
      continue;
    }
    if (c === "[") {
      const end = source.indexOf("]", i + 2);
      if (end < 0) return undefined;
      unit = firstOfClass(source.slice(i + 1, end));
      i = end + 1;
    } else if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) return undefined;
      unit = next === "d" ? "0" : next === "w" ? "a" : next === "s" ? " " : /[a-zA-Z0-9]/.test(next) ? undefined : next;
      i += 2;
    } else if (/[()|]/.test(c)) return undefined;
    else {
      unit = c === "." ? "a" : c;
      i++;
    }
    if (unit === undefined) return undefined;
    const counted = /^\{(\d+)(?:,(\d*))?\}/.exec(source.slice(i));
    let times = 1;
    if (counted) {
      times = Number(counted[1]);
      i += counted[0].length;
    } else if (source[i] === "+") i++;
    else if (source[i] === "*" || source[i] === "?") {
      times = 0;
      i++;
    }
    out += unit.repeat(times);
  }
  try {
    return new RegExp(pattern, "u").test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

function firstOfClass(body: string): string | undefined {
  if (body.startsWith("^")) return undefined;
  if (body.startsWith("\\d")) return "0";
  if (body.startsWith("\\w")) return "a";
  return body[0] === "\\" ? body[1] : body[0];
}
