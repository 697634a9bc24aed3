/**
 * Renders the Handlebars templates in `templates/` (or a user's override folder).
 * Templates only lay out text; everything computed comes in the view model.
 */
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { SpecError } from "./spec-error.js";

/** The templates shipped with carewire (same relative place from src/ and dist/). */
export const DEFAULT_TEMPLATE_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

export type TemplateName = "operations.ts" | "schemas.ts" | "client.ts" | "client-types.d.ts" | "index.ts" | "providers.ts" | "fhir-search.ts" | "fhir-client.ts" | "fhir-index.ts" | "provider-readme.md";

export class TemplateSet {
  private readonly cache = new Map<TemplateName, Handlebars.TemplateDelegate>();
  private readonly engine = Handlebars.create();

  constructor(private readonly overrideDir?: string) {}

  async render(name: TemplateName, view: object): Promise<string> {
    const file = this.locate(name);
    try {
      let template = this.cache.get(name);
      if (template === undefined) {
        const source = await readFile(file, "utf8");
        // Generated code is TypeScript, not HTML: no escaping; `strict` turns a typo into an error.
        template = this.engine.compile(source, { noEscape: true, strict: true });
        this.cache.set(name, template);
      }
      return template(view);
    } catch (error) {
      // A team's template with a typo must say which template, not crash the generator.
      throw new SpecError("template-invalid", path.relative(process.cwd(), file) || file, (error as Error).message);
    }
  }

  private locate(name: TemplateName): string {
    const file = `${name}.hbs`;
    if (this.overrideDir !== undefined) {
      const candidate = path.join(this.overrideDir, file);
      if (existsSync(candidate)) return candidate;
    }
    return path.join(DEFAULT_TEMPLATE_DIR, file);
  }
}
