// `npm run generate [-- --check]`: the `carewire generate` command, run from source.
import { main } from "../src/cli/main.js";

process.exitCode = await main(["generate", ...process.argv.slice(2)]);
