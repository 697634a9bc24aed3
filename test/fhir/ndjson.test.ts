/** NDJSON streaming: the same resources however the bytes are chunked (split lines, split UTF-8 characters). */
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { ndjsonLines } from "carewire/fhir";

function streamOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const p of [...points, bytes.length]) {
    if (p > last) chunks.push(bytes.slice(last, p));
    last = p;
  }
  return new ReadableStream({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of ndjsonLines(stream)) out.push(v);
  return out;
}

describe("ndjsonLines", () => {
  it("yields every line's value whatever the chunk boundaries", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ id: fc.string(), name: fc.string({ unit: "grapheme" }), n: fc.integer() }), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), fc.boolean(), async (records, cuts, trailingNewline) => {
        const text = records.map((r) => JSON.stringify(r)).join("\n") + (trailingNewline ? "\n" : "");
        expect(await collect(streamOf(new TextEncoder().encode(text), cuts))).toEqual(records);
      }),
      { numRuns: 200 },
    );
  });

  it("skips blank lines and CRLF endings", async () => {
    const text = '{"a":1}\r\n\r\n{"a":2}\n\n';
    expect(await collect(streamOf(new TextEncoder().encode(text), [3, 9]))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("stops the download when the reader stops early", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('{"x":1}\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const v of ndjsonLines(stream)) {
      expect(v).toEqual({ x: 1 });
      break;
    }
    expect(cancelled).toBe(true);
  });

  it("ends a line past the cap with limit-exceeded as soon as it passes, before the line ends", async () => {
    let sent = 0;
    // An endless line: the reader must give up at the cap, not wait for a newline.
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += 1024;
        controller.enqueue(new Uint8Array(1024).fill(0x61));
      },
    });
    await expect(collect2(ndjsonLines(endless, "test", { maxLineBytes: 10_000 }))).rejects.toMatchObject({ kind: "limit-exceeded", limit: "line-bytes", max: 10_000 });
    expect(sent).toBeLessThanOrEqual(12 * 1024);
  });

  it("reads a line that arrives in many small chunks whole, and keeps a malformed line's text out of the message", async () => {
    const record = { resourceType: "Patient", id: "p1", name: [{ family: "x".repeat(50_000) }] };
    const bytes = new TextEncoder().encode(`${JSON.stringify(record)}\n{"broken": SECRET-PHI\n`);
    const cuts = Array.from({ length: 400 }, (_, i) => i * 131);
    const out: unknown[] = [];
    const error = await (async () => {
      try {
        for await (const v of ndjsonLines(streamOf(bytes, cuts))) out.push(v);
      } catch (e) {
        return e as { kind: string; message: string; bodyPreview: string };
      }
      return undefined;
    })();
    expect(out).toEqual([record]);
    expect(error).toMatchObject({ kind: "malformed-response" });
    expect(error!.message).not.toContain("SECRET-PHI");
    expect(error!.bodyPreview).toContain("SECRET-PHI");
  });

  it("ends a stalled download with a typed timeout, and a broken one with a typed network error", async () => {
    const stalled = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => undefined) });
    await expect(collect2(ndjsonLines(stalled, "test", { idleTimeoutMs: 50 }))).rejects.toMatchObject({ kind: "timeout" });
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"a":1}\n'));
        controller.error(new TypeError("terminated"));
      },
    });
    await expect(collect2(ndjsonLines(broken))).rejects.toMatchObject({ kind: "network" });
  });
});

async function collect2(lines: AsyncGenerator<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of lines) out.push(v);
  return out;
}
