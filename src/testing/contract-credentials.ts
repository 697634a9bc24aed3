/**
 * What the contract runner authenticates with. A simulator knows one demo client (`carewire
 * mock` prints it); the runner uses it where a simulator is what answers, and nowhere else:
 * a remote server is never sent the demo secret, and gets only the credentials it is given.
 */

export type ContractCredentials = (
  | { readonly token: string; readonly clientId?: undefined }
  | { readonly clientId: string; readonly clientSecret: string; readonly tokenUrl?: string; readonly token?: undefined }
  | { readonly token?: undefined; readonly clientId?: undefined }
) & {
  /** Sent where an operation's security asks for an API key: in the header, query or cookie its scheme names. */
  readonly apiKey?: string;
};

/** The client every carewire simulator knows; a simulator takes any value of an API key. */
export const DEMO_CLIENT: ContractCredentials = Object.freeze({ clientId: "carewire-demo", clientSecret: "carewire-demo-secret", apiKey: "carewire-demo-key" });

/**
 * The credentials of a run that was given none: the demo client against the simulator the run
 * started or a server on a loopback address (one started with `carewire mock`, say), none elsewhere.
 */
export function defaultCredentials(baseUrl: string, simulatorStarted: boolean): ContractCredentials | undefined {
  return simulatorStarted || isLoopback(baseUrl) ? DEMO_CLIENT : undefined;
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
