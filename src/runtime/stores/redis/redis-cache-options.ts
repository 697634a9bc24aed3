/** How a response cache shared through Redis keeps its entries (`redisStore({ cache: { … } })`). */
import type { StateListener } from "../fallback.js";

export interface RedisCacheOptions {
  /** Largest entry kept (body and headers), bytes; a larger response is not shared. Default 1 MiB. */
  readonly maxEntryBytes?: number;
  /** How long an entry that can only be revalidated (no max-age, an ETag) is kept. Default 5 min. */
  readonly revalidateOnlyTtlMs?: number;
  /** Time after a Redis failure before it is asked again. Default 1 s. */
  readonly retryAfterMs?: number;
  /** Told when the cache goes local (Redis out) or shared again. */
  readonly onStateChange?: StateListener;
}
