/**
 * Specs (and the files their `$ref`s name, and overlays) read over HTTP(S): one deadline for
 * the whole answer and a bound on its size, and every way it can go wrong as a SpecError
 * of one line. A spec server that fails or does not answer is `spec-unreachable` (worth a
 * retry: the CLI exits 3); a 404, an oversized answer or an HTML page is the caller's to
 * fix (`spec-unreadable` / `spec-unsupported`, exit 2).
 */
import { BaseResolver, Source } from "@redocly/openapi-core";
import { SpecError } from "./spec-error.js";
import { displayUrl, isHttpUrl } from "./spec-location.js";

export { displayUrl, isHttpUrl };

export interface SpecFetchLimits {
  /** For the whole answer, headers and body. */
  readonly deadlineMs: number;
  readonly maxBytes: number;
}

/** Generous for the largest public specs (GitHub's is about 13 MB), and still a bound. */
export const DEFAULT_SPEC_FETCH_LIMITS: SpecFetchLimits = { deadlineMs: 30_000, maxBytes: 64 * 1024 * 1024 };

/** Why a fetch failed, for programs (the message says it for people). */
export type SpecFetchFailure = "status" | "timeout" | "network" | "too-large" | "not-a-spec";

export class SpecFetchError extends SpecError {
  constructor(
    url: string,
    readonly failure: SpecFetchFailure,
    reason: string,
    /** The HTTP status, when the server answered. */
    readonly status?: number,
  ) {
    const retryable = failure === "timeout" || failure === "network" || (status !== undefined && status >= 500);
    super(retryable ? "spec-unreachable" : failure === "not-a-spec" ? "spec-unsupported" : "spec-unreadable", url, reason);
  }
}

export interface FetchedText {
  /** Where the text finally came from, after redirects: relative refs resolve against it. */
  readonly url: string;
  readonly text: string;
  readonly mimeType?: string;
}

export async function fetchSpecText(location: string, limits: SpecFetchLimits = DEFAULT_SPEC_FETCH_LIMITS): Promise<FetchedText> {
  const url = displayUrl(location);
  const signal = AbortSignal.timeout(limits.deadlineMs);
  const timedOut = () => new SpecFetchError(url, "timeout", `no complete answer within ${formatMs(limits.deadlineMs)}`);
  const { request, authorization } = withoutCredentials(location);
  let response: Response;
  try {
    response = await fetch(request, {
      signal,
      headers: { accept: "application/yaml, application/json;q=0.9, */*;q=0.5", ...(authorization ? { authorization } : {}) },
    });
  } catch (error) {
    if (signal.aborted) throw timedOut();
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new SpecFetchError(url, "network", `cannot fetch: ${reason.split(location).join(url)}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new SpecFetchError(url, "status", `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`, response.status);
  }
  const mimeType = response.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (mimeType === "text/html") {
    await response.body?.cancel().catch(() => undefined);
    throw new SpecFetchError(url, "not-a-spec", "the server answered with an HTML page, not an OpenAPI document");
  }
  const tooLarge = () => new SpecFetchError(url, "too-large", `larger than ${formatBytes(limits.maxBytes)}`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limits.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > limits.maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof SpecFetchError) {
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    if (signal.aborted) throw timedOut();
    throw new SpecFetchError(url, "network", `the answer broke off: ${(error as Error).message}`);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return { url: response.url || location, text, ...(mimeType ? { mimeType } : {}) };
}

/** `https://user:pass@host/…` as fetch takes it: the credentials as Basic authorization. */
function withoutCredentials(location: string): { request: string; authorization?: string } {
  if (!URL.canParse(location)) return { request: location };
  const parsed = new URL(location);
  if (parsed.username === "" && parsed.password === "") return { request: location };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = "";
  parsed.password = "";
  return { request: parsed.href, authorization: `Basic ${Buffer.from(credentials).toString("base64")}` };
}

/**
 * Redocly's resolver, reading `http(s)` refs through fetchSpecText (its own fetch has no
 * deadline or size bound); files as before.
 */
export class BoundedResolver extends BaseResolver {
  constructor(
    config: ConstructorParameters<typeof BaseResolver>[0],
    private readonly limits: SpecFetchLimits,
  ) {
    super(config);
  }

  override async loadExternalRef(absoluteRef: string): Promise<Source> {
    if (!isHttpUrl(absoluteRef)) return super.loadExternalRef(absoluteRef);
    const fetched = await fetchSpecText(absoluteRef, this.limits);
    return new Source(absoluteRef, fetched.text, fetched.mimeType);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`;
}
