// Module hooks for record-loads.mjs (they run on Node's hooks thread): one line per module loaded.
import { appendFileSync } from "node:fs";

const log = process.env.CAREWIRE_LOAD_LOG;

export async function load(url, context, nextLoad) {
  if (log) appendFileSync(log, `${url}\n`);
  return nextLoad(url, context);
}
