#!/usr/bin/env node
// The installed `carewire` command: runs the compiled CLI (built by `npm run build`, run on install).
import { main } from "../dist/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
