/**
 * A client's base URL, checked once when the client is made: whether it is an http(s) URL
 * at all (and what it needs if not), and whether the platform's fetch can be handed requests
 * to it as a URL and init.
 */

/**
 * Whether the platform's fetch can be handed a request to this base URL as a URL and init:
 * an absolute http(s) URL without credentials or a server variable, which a path starting
 * with `/` cannot make unparsable. Any other base goes through `buildRequest`, whose
 * refusal says what is wrong with it. Checked once per client.
 */
export function sendsAsIs(baseUrl: string): boolean {
  if (baseUrl.includes("{")) return false;
  try {
    const url = new URL(baseUrl);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/** Why a base URL that is not an http(s) URL cannot be called, or undefined when it is one. */
export function schemeMissing(baseUrl: string): string | undefined {
  try {
    const { protocol } = new URL(baseUrl);
    return protocol === "http:" || protocol === "https:" ? undefined : withScheme(baseUrl);
  } catch {
    return withScheme(baseUrl);
  }
}

/**
 * A base URL of another scheme than http(s), named before anything is sent: `localhost:4010`
 * parses as a URL of the scheme `localhost:`, which fetch would refuse only as a network
 * failure, and retry. One that does not parse at all is left to the request (a browser
 * resolves a relative `/api` against its page; Node refuses it, and the refusal says why).
 */
export function otherScheme(baseUrl: string): string | undefined {
  try {
    new URL(baseUrl);
  } catch {
    return undefined;
  }
  return schemeMissing(baseUrl);
}

function withScheme(baseUrl: string): string {
  const problem = `the client's baseUrl "${baseUrl.slice(0, 100)}" is not an http(s) URL`;
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(baseUrl)) return `${problem}: carewire calls http:// and https:// servers`;
  const host = baseUrl.replace(/^\/+/, "").slice(0, 100);
  // Only what reads as a host (and port, and path) is shown back with a scheme in front.
  if (!/^[\w.-]+(:\d+)?(\/\S*)?$/.test(host)) return `${problem}: it needs to be an absolute URL, as in https://api.example.com/v1`;
  const scheme = /^(localhost|127\.|\[::1\])/.test(host) ? "http" : "https";
  return `${problem}: it needs its scheme, as in ${scheme}://${host}`;
}
