/**
 * What `carewire <command> --help` prints, kept apart from the commands themselves: the
 * help, `--version` and usage errors are answered from here without loading a command's
 * dependencies (the simulator, the codegen, database drivers).
 */

export const MOCK_USAGE = `  carewire mock <spec> [--port 4010] [--seed 1] [--rate-limit 120/60s | off] [--rate-limit-headers none|x-ratelimit|ietf]
                [--token-ttl <seconds>] [--concurrency <n>] [--faults <plan.json>] [--scenario clinic] [--stateless] [--no-auth]
                [--idempotency-keys declared|always] [--overlay <file>]...
      serve a spec on 127.0.0.1 with the provider's rate limits, tokens, idempotency and faults (Ctrl-C stops);
      writes are deduped by Idempotency-Key where the spec declares keys (always: on every write);
      --overlay applies OpenAPI Overlay files first, as generate does for the provider's "overlays";
      a FHIR CapabilityStatement (.json) is served as a FHIR R4 server (paging, conditional writes, transactions, $export)`;

export const CONTRACT_USAGE = `  carewire contract <spec> [--base-url <url>] [--token <bearer> | --client-id <id> --client-secret <secret> [--token-url <url>]]
                    [--api-key [<name>=]<key>]... [--operation <operationId>]... [--scenario clinic] [--json] [--strict]
      call every operation and check status, body and documented headers against the spec
      (without --base-url, against the carewire simulator started in-process); exit 1 on any violation;
      an operation whose request the server refused (4xx, even after a minimal request built from the
      schema) is "not exercised", never passed; a run that exercised none exits 1; --strict makes
      "not exercised" fail too (exit 1); --api-key goes where an operation's API-key scheme puts it,
      <name>=<key> for one scheme (its name in securitySchemes, or its header/query/cookie name), a bare
      key for every scheme not named; an operation gets every key of one of its security requirements;
      for a FHIR CapabilityStatement, every declared interaction in a life-cycle order, answers validated against R4`;

export const OUTBOX_USAGE = `  carewire outbox status [--store <url>] [--json]
  carewire outbox list [--dead] [--since <time>] [--tenant <t>] [--limit 100] [--with-bodies] [--json] [--store <url>]
  carewire outbox replay <id>... | replay --dead --since <time>   [--store <url>]
  carewire outbox purge --before <time> [--dead] [--store <url>]
      the durable outbox: --store sqlite:<file> or postgres://… (default $CAREWIRE_OUTBOX_URL);
      <time> is an ISO date or an age such as 30m, 24h, 7d; status exits 1 when there are dead letters`;

export const RECONCILE_USAGE = `  carewire reconcile --source <file.ndjson> --fhir <baseUrl> --type Patient --identifier-system <uri>
                    [--checkpoint <file>] [--batch-size 50] [--token <bearer>] [--hash-keys] [--json]
                    [--repair --outbox <sqlite:file | postgres://…> [--provider fhir]]
      compare the records the app delivered (one resource per line) with the server's, by identifier:
      missing, extra and different ones (keys only, hashed with --hash-keys); exit 1 when they differ;
      --checkpoint resumes an interrupted run; --repair enqueues every missing record in the outbox as <Type>.ensure`;

export const INIT_USAGE = `  carewire init [--name <provider>] [--spec <file | https://…>] [--sample-spec] [--overlay] [--add]
      write a starter carewire.config.json into the current directory (never over an existing file);
      --sample-spec also writes a small spec to start from (specs/<name>.openapi.yaml), --overlay an
      OpenAPI Overlay skeleton for x-carewire-* hints (overlays/<name>.overlay.yaml); --add puts the
      provider into the carewire.config.json that is there instead; prints what to run next`;

export const REPORT_USAGE = `  carewire report <events.jsonl> [--out report.html] [--title <text>] [--alert <name>=<value>]... [--thresholds <file.json>]
      one self-contained HTML page (uPlot, no network) from the events recordEvents wrote: quota use per client_id,
      429s and retries, waits, breaker states, tenant shares, outbox depth, latency percentiles, and alerts;
      --alert and --thresholds override alert thresholds by name (windowMs, quotaUsedRatio, throttleRate, …);
      exits 1 when an alert is firing at the end of the log; needs the optional package uplot`;
