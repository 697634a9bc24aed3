/**
 * The `rel="next"` target of an RFC 8288 Link header (`<https://…?page=2>; rel="next",
 * <…>; rel="last"`). A relation list (`rel="next last"`) counts; parameters other than
 * `rel` are ignored. Read from a bounded header: one a server made huge is not scanned past.
 */
const MAX_LINK_HEADER_CHARS = 16_384;

export function nextLinkOf(header: string | null): string | undefined {
  if (header === null) return undefined;
  const text = header.slice(0, MAX_LINK_HEADER_CHARS);
  // Each link value: `<target>` then `;`-separated parameters, up to the next `,<`.
  for (const match of text.matchAll(/<([^>]*)>([^<]*)/g)) {
    const target = match[1]!;
    // The parameters run up to the `,` that separates this link value from the next one.
    const params = match[2]!.replace(/,\s*$/, "");
    for (const param of params.split(";")) {
      const [name, ...rest] = param.split("=");
      if (name?.trim().toLowerCase() !== "rel") continue;
      const value = rest.join("=").trim().replace(/^"|"$/g, "");
      if (value.toLowerCase().split(/\s+/).includes("next")) return target;
    }
  }
  return undefined;
}
