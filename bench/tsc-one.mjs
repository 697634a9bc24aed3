// Type-checks one project in this process, as `tsc --noEmit -p <dir>` would, and prints
// its peak RSS, CPU time and the errors found, so the carewire and raw projects are
// measured the same way: `node tsc-one.mjs <dir>`.
import path from "node:path";
import ts from "typescript";

const dir = path.resolve(process.argv[2]);
const started = performance.now();
const configFile = ts.findConfigFile(dir, ts.sys.fileExists, "tsconfig.json");
const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dir);
const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
const diagnostics = ts.getPreEmitDiagnostics(program);
const errors = diagnostics
  .filter((d) => d.category === ts.DiagnosticCategory.Error)
  .slice(0, 5)
  .map((d) => `${d.file ? `${path.relative(dir, d.file.fileName)}: ` : ""}TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ").slice(0, 300)}`);
const usage = process.resourceUsage();
process.stderr.write(
  `${JSON.stringify({
    inProcessMs: performance.now() - started,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    maxRssKb: usage.maxRSS,
    errorCount: diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length,
    errors,
    types: program.getTypeCount(),
  })}\n`,
);
