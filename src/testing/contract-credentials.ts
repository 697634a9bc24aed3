/**
 * What the contract runner authenticates with. A simulator knows one demo client (`carewire
 * mock` prints it); the runner uses it where a simulator is what answers, and nowhere else:
 * a remote server is never sent the demo secret, and gets only the credentials it is given.
 */
import { SimulatorConfigError } from "./simulator/server.js";
import type { AcceptedCredentials, ApiKeyPlace } from "./simulator/spec-model.js";

export type ContractCredentials = (
  | { readonly token: string; readonly clientId?: undefined }
  | { readonly clientId: string; readonly clientSecret: string; readonly tokenUrl?: string; readonly token?: undefined }
  | { readonly token?: undefined; readonly clientId?: undefined }
) & {
  /**
   * Sent where an operation's security asks for an API key: in the header, query or cookie its
   * scheme names. One key for every API-key scheme, or keys by name: the scheme's name in
   * `components.securitySchemes`, or the header, query or cookie parameter it puts the key in
   * (where no scheme has that name); `"*"` for every scheme not named.
   */
  readonly apiKey?: string | Readonly<Record<string, string>>;
};

/** The client every carewire simulator knows; a simulator takes any value of an API key, so one key fills every scheme. */
export const DEMO_CLIENT: ContractCredentials = Object.freeze({ clientId: "carewire-demo", clientSecret: "carewire-demo-secret", apiKey: "carewire-demo-key" });

/**
 * The credentials of a run that was given none: the demo client against the simulator the run
 * started or a server on a loopback address (one started with `carewire mock`, say), none elsewhere.
 */
export function defaultCredentials(baseUrl: string, simulatorStarted: boolean): ContractCredentials | undefined {
  return simulatorStarted || isLoopback(baseUrl) ? DEMO_CLIENT : undefined;
}

/** The key given for one API-key scheme, if any. */
export type ApiKeyOf = (key: ApiKeyPlace) => string | undefined;

/**
 * Where each given API key goes. Keys by name must each name one of the spec's API-key schemes
 * (by its own name or its parameter's): a mistyped name would send no key and exercise nothing.
 */
export function apiKeysFor(spec: string, schemes: readonly ApiKeyPlace[], apiKey: ContractCredentials["apiKey"]): ApiKeyOf {
  if (apiKey === undefined || typeof apiKey === "string") return () => apiKey;
  const isScheme = (name: string) => schemes.some((scheme) => scheme.scheme === name);
  // Header names are case-insensitive; query and cookie names are not.
  const isParameter = (name: string, key: ApiKeyPlace) => (key.in === "header" ? key.name.toLowerCase() === name.toLowerCase() : key.name === name);
  const names = Object.keys(apiKey).filter((name) => name !== "*");
  const unknown = names.filter((name) => !isScheme(name) && !schemes.some((scheme) => isParameter(name, scheme)));
  if (unknown.length > 0) {
    const known = schemes.length === 0 ? "it declares none" : `it has ${schemes.map((s) => `"${s.scheme}" (the ${s.in} ${s.name})`).join(", ")}`;
    throw new SimulatorConfigError(`${spec} has no API-key scheme ${unknown.map((name) => `"${name}"`).join(", ")} (${known})`);
  }
  return (key) => {
    if (Object.hasOwn(apiKey, key.scheme)) return apiKey[key.scheme];
    const byParameter = names.find((name) => !isScheme(name) && isParameter(name, key));
    return apiKey[byParameter ?? "*"];
  };
}

/** What the runner sends with one request: a bearer token or not, and API keys where their schemes put them. */
export interface ChosenCredentials {
  readonly bearer: boolean;
  readonly apiKeys: ReadonlyArray<readonly [ApiKeyPlace, string]>;
}

/**
 * One credential set of the operation, whole: the first the runner has everything for (it sends
 * no HTTP basic). Where it has no set whole and the operation needs one, what it has of the
 * first, so the server's refusal says what is missing.
 */
export function chooseCredentials(accepted: AcceptedCredentials, hasToken: boolean, apiKeyOf: ApiKeyOf): ChosenCredentials {
  const whole = accepted.sets.find((set) => !set.basic && (!set.bearer || hasToken) && set.apiKeys.every((key) => apiKeyOf(key) !== undefined));
  const set = whole ?? (accepted.anonymous ? undefined : accepted.sets[0]);
  if (set === undefined) return { bearer: false, apiKeys: [] };
  const apiKeys = set.apiKeys.flatMap((key) => {
    const value = apiKeyOf(key);
    return value === undefined ? [] : [[key, value] as const];
  });
  return { bearer: set.bearer && hasToken, apiKeys };
}

function isLoopback(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return false;
  }
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
