// A bare node:http server for the overhead and cold-start rows of the runtime benchmark, in
// its own process: no simulator, no routing, no validation. Every request gets the same
// pre-serialized 50-patient page (the bytes the simulator returns for
// `GET /patients?pageSize=50` after 50 creates), so what differs between two clients is
// only the clients. `node bench/bare-server.mjs` prints `{ "url": … }` once listening;
// `GET /__count` answers how many other requests it has served.
import http from "node:http";
import { pathToFileURL } from "node:url";

/** The page the clinic simulator serves, field for field. */
export function patientPage() {
  const data = Array.from({ length: 50 }, (_, i) => ({
    id: `pat-${i + 1}`,
    gender: "female",
    active: true,
    updatedAt: "2030-01-15T10:24:00Z",
    identifier: `MRN-${String(i).padStart(7, "0")}`,
    givenName: `G${i}`,
    familyName: `F${i % 97}`,
    birthDate: "1980-01-01",
  }));
  return JSON.stringify({ data, page: 1, pageSize: 50, total: 50, nextPage: null });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const body = Buffer.from(patientPage());
  const headers = { "content-type": "application/json", "content-length": String(body.length) };
  let served = 0;
  const server = http.createServer((req, res) => {
    if (req.url === "/__count") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requests: served }));
      return;
    }
    served++;
    // Drain any request body before answering (none is sent here, but keep-alive needs it read).
    req.resume();
    res.writeHead(200, headers).end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
  });
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}
