/**
 * Compiles an app's files the way a strict app would (@tsconfig/strictest, NodeNext, Node's
 * types) and returns the diagnostics of those files only, as `name(line): message`. Files
 * may be virtual (path → text), so a snippet can sit where its relative imports resolve.
 * `overrides` changes a setting (`skipLibCheck: false` checks declaration files given as files).
 */
import path from "node:path";
import ts from "typescript";
import { STRICTEST_FLAGS } from "./strictest.js";

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ["lib.es2023.d.ts"],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  customConditions: ["carewire-source"],
  ...STRICTEST_FLAGS,
  // The rest of @tsconfig/strictest.
  noPropertyAccessFromIndexSignature: true,
  noImplicitReturns: true,
  noFallthroughCasesInSwitch: true,
  allowUnreachableCode: false,
  allowUnusedLabels: false,
  isolatedModules: true,
  esModuleInterop: true,
  skipLibCheck: true,
  noEmit: true,
  types: ["node"],
};

export function strictAppErrors(files: readonly string[], virtual: ReadonlyMap<string, string> = new Map(), overrides: ts.CompilerOptions = {}): string[] {
  const options = { ...OPTIONS, ...overrides };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, language, ...rest) => {
    const text = virtual.get(file);
    return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language);
  };
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  const roots = [...files, ...virtual.keys()];
  const program = ts.createProgram({ rootNames: roots, options, host });
  return roots.flatMap((file) => {
    const source = program.getSourceFile(file);
    if (source === undefined) return [`${path.basename(file)}: not in the program`];
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1;
      return `${path.basename(file)}(${line}): ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
    });
  });
}
