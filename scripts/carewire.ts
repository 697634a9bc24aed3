// `npm run carewire -- <command>`: the carewire CLI run from source (the installed bin runs dist/).
import { main } from "../src/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
