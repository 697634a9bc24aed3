// Preloaded (node --require) to make packages look uninstalled: resolving any name listed in
// CAREWIRE_HIDE_PACKAGES (comma-separated), or a file inside it, fails as a missing package does.
const Module = require("node:module");

const hidden = (process.env.CAREWIRE_HIDE_PACKAGES ?? "").split(",").filter(Boolean);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((name) => request === name || request.startsWith(`${name}/`))) {
    const error = new Error(`Cannot find module '${request}'`);
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
