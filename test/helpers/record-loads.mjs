// `node --import <this>`: appends the URL of every module the process loads to the file
// named by CAREWIRE_LOAD_LOG, so a test can tell what a command line pulled in.
import { register } from "node:module";

register("./record-loads-hooks.mjs", import.meta.url);
