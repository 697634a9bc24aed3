// Hostile (and one honest) response bodies for the limits benchmark, in their own process so
// the server's buffers are not counted against the client: `tsx bench/limits-server.ts '{}'`.
// Each case lives under /case/<name>/; the clinic client calls GET <base>/patients, the FHIR
// client GET <base>/$export, then the status URL, then the NDJSON file.
//
//   small        1 KB PatientPage (warm-up)
//   json200      200 MB PatientPage, application/json, honest Content-Length
//   gzip-bomb    ~1 MB gzip (Content-Length of the compressed bytes) inflating to ~1 GB of JSON
//   drip200      200 MB PatientPage, no Content-Length (chunked), many 4 KB writes as fast as the socket takes them
//   html200      200 MB text/html, no Content-Length (chunked), 1 MB writes
//   legit20      20 MB PatientPage (about 110 000 valid patients), honest Content-Length
//   legit-near-cap ~33.3 MB PatientPage, just under the default 32 MiB cap (33 554 432 bytes), honest Content-Length
//   ndjson-small Bulk export: 3 Patient lines (warm-up)
//   ndjson100    Bulk export: a Patient line, one 100 MB line, a Patient line
//   ndjson-bomb  Bulk export: the file gzip-encoded (~1 MB) inflating to a Patient line, one 1 000 MiB line, a Patient line
import http, { type ServerResponse } from "node:http";
import zlib from "node:zlib";

const MB = 1_000_000;
const patient = (i: number) =>
  `{"id":"pat-${i}","identifier":"MRN-${i}","givenName":"Given${i % 89}","familyName":"Family${i % 97}","birthDate":"1980-01-01","gender":"unknown","active":true,"updatedAt":"2030-01-01T00:00:00Z"}`;
const HEAD = '{"data":[';
const tail = (total: number) => `],"page":1,"pageSize":100,"total":${total},"nextPage":null}`;

/** A PatientPage of about `bytes`: the head, a block of patients repeated, one last patient, the tail. */
function patientPage(bytes: number): { parts: () => Generator<Buffer>; length: number; count: number } {
  const block = Buffer.from(`${Array.from({ length: 5_000 }, (_, i) => patient(i)).join(",")},`);
  const repeats = Math.max(0, Math.floor((bytes - 1_000) / block.length));
  const last = Buffer.from(patient(5_000 * repeats));
  const head = Buffer.from(HEAD);
  const end = Buffer.from(tail(5_000 * repeats + 1));
  return {
    length: head.length + repeats * block.length + last.length + end.length,
    count: 5_000 * repeats + 1,
    *parts() {
      yield head;
      for (let i = 0; i < repeats; i++) yield block;
      yield last;
      yield end;
    },
  };
}

/** Writes every part, at most `chunk` bytes per write, waiting for drain; stops if the client goes away. */
async function stream(res: ServerResponse, parts: Iterable<Buffer>, chunk: number): Promise<void> {
  let closed = false;
  res.on("close", () => (closed = true));
  for (const part of parts) {
    for (let at = 0; at < part.length; at += chunk) {
      if (closed) return;
      if (!res.write(part.subarray(at, at + chunk))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
      }
    }
  }
  if (!closed) res.end();
}

function* repeated(bytes: number, fill: Buffer, prefix = "", suffix = ""): Generator<Buffer> {
  yield Buffer.from(prefix);
  for (let left = bytes; left > 0; left -= fill.length) yield left >= fill.length ? fill : fill.subarray(0, left);
  yield Buffer.from(suffix);
}

// The gzip bombs, built once: 1 000 MiB of "a" inside one JSON string (deflate's best case, ~1030:1).
const BOMB_INFLATED = 1000 * 1024 * 1024;
const BOMB_PREFIX = `${HEAD}{"id":"pat-0","identifier":"MRN-0","givenName":"`;
const BOMB_SUFFIX = `","familyName":"F","birthDate":"1980-01-01","gender":"unknown","active":true,"updatedAt":"2030-01-01T00:00:00Z"}${tail(1)}`;
const ndjsonLine = (id: string) => `{"resourceType":"Patient","id":"${id}","active":true}\n`;
function gzipped(parts: Iterable<Buffer>): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const gz = zlib.createGzip({ level: 9 });
    const out: Buffer[] = [];
    gz.on("data", (d: Buffer) => out.push(d));
    gz.on("end", () => resolve(Buffer.concat(out)));
    gz.on("error", reject);
    void (async () => {
      for (const part of parts) if (!gz.write(part)) await new Promise((r) => gz.once("drain", r));
      gz.end();
    })();
  });
}
const bomb = await gzipped(repeated(BOMB_INFLATED, Buffer.alloc(1 << 20, 0x61), BOMB_PREFIX, BOMB_SUFFIX));
const ndjsonBomb = await gzipped(repeated(BOMB_INFLATED, Buffer.alloc(1 << 20, 0x61), `${ndjsonLine("first")}{"resourceType":"Patient","id":"huge","text":{"status":"generated","div":"`, `"}}\n${ndjsonLine("last")}`));

const SMALL = patientPage(1_000);
const PAGE200 = patientPage(200 * MB);
const PAGE20 = patientPage(20 * MB);
const PAGE_NEAR_CAP = patientPage(33_500_000);
const HTML_LINE = Buffer.from(`<div class="row"><span>${"lorem ipsum dolor sit amet ".repeat(36)}</span></div>\n`);

const server = http.createServer((req, res) => {
  const match = /^\/case\/([a-z0-9-]+)(\/.*)$/.exec((req.url ?? "/").split("?")[0]!);
  const name = match?.[1];
  const rest = match?.[2] ?? "";
  const base = `http://${req.headers.host ?? "127.0.0.1"}/case/${name ?? ""}`;
  const json = { "content-type": "application/json" };
  req.resume();
  switch (rest.startsWith("/patients") ? name : rest === "" ? undefined : `bulk:${name ?? ""}`) {
    case "small":
      res.writeHead(200, { ...json, "content-length": String(SMALL.length) });
      return void stream(res, SMALL.parts(), 1 << 20);
    case "json200":
      res.writeHead(200, { ...json, "content-length": String(PAGE200.length) });
      return void stream(res, PAGE200.parts(), 1 << 20);
    case "legit20":
      res.writeHead(200, { ...json, "content-length": String(PAGE20.length) });
      return void stream(res, PAGE20.parts(), 1 << 20);
    case "legit-near-cap":
      res.writeHead(200, { ...json, "content-length": String(PAGE_NEAR_CAP.length) });
      return void stream(res, PAGE_NEAR_CAP.parts(), 1 << 20);
    case "gzip-bomb":
      res.writeHead(200, { ...json, "content-encoding": "gzip", "content-length": String(bomb.length) });
      return void res.end(bomb);
    case "drip200":
      res.writeHead(200, json); // no Content-Length: chunked
      return void stream(res, PAGE200.parts(), 4 * 1024);
    case "html200":
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void stream(res, repeated(200 * MB, Buffer.concat(Array.from({ length: Math.ceil((1 << 20) / HTML_LINE.length) }, () => HTML_LINE)), "<!doctype html><html><body>\n", "</body></html>\n"), 1 << 20);
    case "bulk:ndjson-small":
    case "bulk:ndjson100":
    case "bulk:ndjson-bomb": {
      if (rest === "/$export") {
        res.writeHead(202, { "content-location": `${base}/status`, "content-type": "application/fhir+json" });
        return void res.end();
      }
      if (rest === "/status") {
        const manifest = { transactionTime: "2030-01-01T00:00:00Z", request: `${base}/$export`, requiresAccessToken: true, output: [{ type: "Patient", url: `${base}/files/Patient.ndjson` }], error: [] };
        res.writeHead(200, json);
        return void res.end(JSON.stringify(manifest));
      }
      if (rest === "/files/Patient.ndjson") {
        if (name === "ndjson-bomb") {
          res.writeHead(200, { "content-type": "application/fhir+ndjson", "content-encoding": "gzip", "content-length": String(ndjsonBomb.length) });
          return void res.end(ndjsonBomb);
        }
        res.writeHead(200, { "content-type": "application/fhir+ndjson" });
        if (name === "ndjson-small") return void res.end(ndjsonLine("a") + ndjsonLine("b") + ndjsonLine("c"));
        return void stream(res, repeated(100 * MB, Buffer.alloc(1 << 16, 0x61), `${ndjsonLine("first")}{"resourceType":"Patient","id":"huge","text":{"status":"generated","div":"`, `"}}\n${ndjsonLine("last")}`), 1 << 16);
      }
      break;
    }
  }
  res.writeHead(404, json).end('{"error":"no such case"}');
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
const port = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, bombBytes: bomb.length, ndjsonBombBytes: ndjsonBomb.length, bombInflatedBytes: BOMB_INFLATED + BOMB_PREFIX.length + BOMB_SUFFIX.length, page200Bytes: PAGE200.length, page20Bytes: PAGE20.length, page20Patients: PAGE20.count, pageNearCapBytes: PAGE_NEAR_CAP.length, pageNearCapPatients: PAGE_NEAR_CAP.count })}\n`);
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
