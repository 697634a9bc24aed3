/**
 * HTTP error statuses as classes: one factory picks the most specific class for a
 * status, so callers can `instanceof` a family while `kind` stays stable.
 */
import { CarewireError } from "./errors.js";

/**
 * The server answered with a non-2xx status; `body` is the (tolerantly read) error body.
 * `HttpError.from` picks the class for the status, so callers can `instanceof` a family
 * (`NotFoundError`, `ConflictError`, `ServerError`, …) while `kind` stays `"http"`.
 */
export class HttpError<Body = unknown, Kind extends "http" | "fhir" = "http"> extends CarewireError {
  readonly kind: Kind;
  /**
   * The response as fetch returned it. Not enumerable, so logging the error does not print it:
   * its `url` is the request's whole URL, ids in the path and any key in the query included.
   */
  declare readonly response: Response;
  constructor(
    readonly status: number,
    readonly body: Body,
    response: Response,
    kind: Kind = "http" as Kind,
  ) {
    // The standard phrase from carewire's own table: the server's reason phrase can say
    // anything (it stays on `response`).
    super(REASON_PHRASES[status] === undefined ? `HTTP ${status}` : `HTTP ${status} ${REASON_PHRASES[status]}`);
    Object.defineProperty(this, "response", { value: response, enumerable: false });
    this.kind = kind;
  }

  /** The error for a status: the most specific class carewire has for it. */
  static from<Body>(status: number, body: Body, response: Response): HttpError<Body> {
    const Family = STATUS_CLASSES[status] ?? (status >= 500 ? ServerError : ClientError);
    return new Family(status, body, response) as HttpError<Body>;
  }
}

/** 4xx: the request was refused as it stands. */
export class ClientError<Body = unknown> extends HttpError<Body> {}
export class BadRequestError<Body = unknown> extends ClientError<Body> {}
/** 401 after the one token refresh carewire allows. */
export class UnauthorizedError<Body = unknown> extends ClientError<Body> {}
export class ForbiddenError<Body = unknown> extends ClientError<Body> {}
export class NotFoundError<Body = unknown> extends ClientError<Body> {}
/** 409: the request collided with the resource's state (a duplicate, a concurrent change). */
export class ConflictError<Body = unknown> extends ClientError<Body> {}
/** 412: the version the request was based on (If-Match) is no longer current. */
export class PreconditionFailedError<Body = unknown> extends ClientError<Body> {}
export class UnprocessableEntityError<Body = unknown> extends ClientError<Body> {}
/** 429 that carewire did not wait out (no Retry-After, or retries spent). */
export class TooManyRequestsError<Body = unknown> extends ClientError<Body> {}
/** 5xx: the server failed. */
export class ServerError<Body = unknown> extends HttpError<Body> {}
export class InternalServerError<Body = unknown> extends ServerError<Body> {}
export class BadGatewayError<Body = unknown> extends ServerError<Body> {}
export class ServiceUnavailableError<Body = unknown> extends ServerError<Body> {}
export class GatewayTimeoutError<Body = unknown> extends ServerError<Body> {}

/** RFC 9110's reason phrases for the statuses APIs commonly answer. */
const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  428: "Precondition Required",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

type HttpErrorClass = new (status: number, body: unknown, response: Response) => HttpError;
const STATUS_CLASSES: Readonly<Record<number, HttpErrorClass>> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  412: PreconditionFailedError,
  422: UnprocessableEntityError,
  429: TooManyRequestsError,
  500: InternalServerError,
  502: BadGatewayError,
  503: ServiceUnavailableError,
  504: GatewayTimeoutError,
};
