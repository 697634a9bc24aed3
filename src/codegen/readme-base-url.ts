/**
 * Where the programs of a generated README send their calls: every one reads the same
 * environment variable (`<PREFIX>_BASE_URL`), so setting it once points each copied program
 * at another server (the address `carewire mock` prints, say). Where the spec names a
 * server it is the default; where it names none a program has no address to fall back on,
 * so it stops and says what to set instead of failing every call with "no baseUrl".
 */

export interface ReadmeBaseUrl {
  /** The environment variable every program reads (`CLINIC_BASE_URL`). */
  readonly variable: string;
  /** Statements a program runs before it creates its client (none where the spec names a server). */
  readonly preamble: readonly string[];
  /** The client option, without its trailing comma: `baseUrl: …`. */
  readonly option: string;
}

/** The prefix of every environment variable a provider's README programs read (`clinic` → `CLINIC`). */
export function envPrefixOf(provider: string): string {
  return provider.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

export function readmeBaseUrl(envPrefix: string, server: string | undefined): ReadmeBaseUrl {
  const variable = `${envPrefix}_BASE_URL`;
  const read = `process.env[${JSON.stringify(variable)}]`;
  if (server !== undefined) return { variable, preamble: [], option: `baseUrl: ${read} ?? ${JSON.stringify(server)}` };
  return {
    variable,
    // An empty value is no address either: the client would refuse it on every call.
    preamble: [`const baseUrl = ${read};`, `if (!baseUrl) throw new Error(${JSON.stringify(`Set ${variable} to the API's address: the spec names no server.`)});`],
    option: "baseUrl",
  };
}
