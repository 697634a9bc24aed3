/**
 * Reads a V8 CPU profile of the stubbed-fetch overhead loop (bench/overhead-child.mjs in
 * "profile" mode) and says where the time goes:
 *
 *   categories      self time by who owns the code (carewire's dist/ file by file, zod,
 *                   openapi-fetch, undici, other node internals, V8 builtins, GC)
 *   topSelf         carewire functions by self time (time in their own bodies)
 *   byCaller        the stub fetch and bench loop if one of their frames comes first walking
 *                   up from the running function (the stub's Response: the same work for both
 *                   clients), GC, the VM's own "(program)", and everything else: the client,
 *                   its code and the undici and node work it causes (openapi-fetch's body
 *                   reading runs in promise callbacks without its frames on the stack, so
 *                   "the client" is the only fair line), so two profiles compare like for like
 *   topAttributed   carewire functions by self time plus the time of the library and
 *                   builtin code they call directly or through other non-carewire code
 *                   (each sample goes to the innermost carewire frame on its stack, unless
 *                   the stub's frames come first), so undici's work lands on the carewire
 *                   function that called undici
 *   topInclusive    carewire functions by inclusive time (a sample counts once per
 *                   function on its stack): the cost of a stage with everything under it
 *
 * Every sample weighs the same, and the shares are scaled to the CPU time the loop measured
 * (µs of CPU per call): on a busy machine the gap between two samples also holds time the
 * process spent descheduled, which would otherwise land on whatever function was running.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  /** µs of CPU per call. */
  us: number;
  pct: number;
}

export interface ProfileSummary {
  /** The .cpuprofile read (open it in Chrome DevTools or speedscope). */
  file: string;
  calls: number;
  samples: number;
  cpuUsPerCall: number;
  categories: Share[];
  byCaller: Share[];
  topSelf: Share[];
  topAttributed: Share[];
  topInclusive: Share[];
}

function relative(url: string): string {
  const file = url.startsWith("file://") ? fileURLToPath(url) : url;
  return path.relative(root, file);
}

/** Whose code a frame is. */
function ownerOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(program)" || functionName === "(idle)") return "(program)";
    return "V8 builtins (JSON.parse, RegExp, …)";
  }
  if (url.includes("/node_modules/zod/")) return "zod";
  if (url.includes("/node_modules/openapi-fetch/")) return "openapi-fetch";
  if (url.includes("undici")) return "undici (Request, Response, Headers, body)";
  if (url.startsWith("node:")) return "other node internals";
  const rel = relative(url);
  if (rel.startsWith("dist/")) return `carewire ${rel}`;
  if (rel.startsWith("bench/.work/")) return "generated client";
  if (rel.startsWith("bench/")) return "bench loop and stub fetch";
  return rel.includes("node_modules/") ? rel.split("node_modules/")[1]!.split("/")[0]! : rel;
}

const isCarewire = (frame: CallFrame) => frame.url !== "" && relative(frame.url).startsWith("dist/");
/** The bench's own frames: the stub fetch (and its Response) and the loop around the calls. */
const isBench = (frame: CallFrame) => frame.url !== "" && /^bench\/[^/]+$/.test(relative(frame.url));
const STUB = "stub fetch and bench loop (both clients)";

function label(frame: CallFrame): string {
  return `${frame.functionName || "(anonymous)"} ${relative(frame.url).replace(/^dist\//, "")}:${frame.lineNumber + 1}`;
}

export async function summarizeProfile(file: string, calls: number, cpuUsPerCall: number, n = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const categories = new Map<string, number>();
  const byCaller = new Map<string, number>();
  const self = new Map<string, number>();
  const attributed = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);

  for (const id of profile.samples) {
    const us = 1;
    const node = byId.get(id)!;
    if (node.callFrame.functionName === "(idle)") continue;
    total += us;
    add(categories, ownerOf(node.callFrame), us);
    if (isCarewire(node.callFrame)) add(self, label(node.callFrame), us);
    // Walk up the stack: the innermost carewire frame takes the sample (unless the stub's
    // frames come first); every carewire function on the stack counts it once for inclusive time.
    let owner: string | undefined;
    let first: "bench" | "client" | undefined;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (first === undefined && isBench(frame)) first = "bench";
      if (!isCarewire(frame)) continue;
      first ??= "client";
      const key = label(frame);
      if (first === "client") owner ??= key;
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, us);
      }
    }
    add(attributed, owner ?? (first === "bench" ? `outside carewire: ${STUB}` : `outside carewire: ${ownerOf(node.callFrame)}`), us);
    const rest = ownerOf(node.callFrame);
    add(byCaller, first === "bench" ? STUB : rest === "GC" || rest === "(program)" ? rest : "the client: its code and the undici and node work it causes", us);
  }

  const top = (map: Map<string, number>, count: number): Share[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, samples]) => ({ name, us: Math.round((10 * cpuUsPerCall * samples) / total) / 10, pct: Math.round((1000 * samples) / total) / 10 }));
  return {
    file: path.relative(root, file),
    calls,
    samples: total,
    cpuUsPerCall: Math.round(cpuUsPerCall * 10) / 10,
    categories: top(categories, 30),
    byCaller: top(byCaller, 10),
    topSelf: top(self, n),
    topAttributed: top(attributed, n),
    topInclusive: top(inclusive, n),
  };
}
