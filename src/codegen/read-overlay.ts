/** An overlay from a file or an http(s) URL, read with a size bound and validated (overlay.ts). */
import { readFile, stat } from "node:fs/promises";
import { fetchSpecText, isHttpUrl, type SpecFetchLimits } from "./fetch-spec.js";
import { parseOverlayText, type Overlay } from "./overlay.js";
import { SpecError } from "./spec-error.js";

export async function readOverlay(file: string, limits: SpecFetchLimits): Promise<Overlay> {
  if (isHttpUrl(file)) return parseOverlayText((await fetchSpecText(file, limits)).text, file);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new SpecError("spec-unreadable", file, "the overlay is not a file");
    size = info.size;
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError("spec-unreadable", file, "overlay file not found or not readable");
  }
  if (size > limits.maxBytes) throw new SpecError("spec-unreadable", file, `the overlay is larger than ${limits.maxBytes} bytes`);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new SpecError("spec-unreadable", file, "overlay file not found or not readable");
  }
  return parseOverlayText(text, file);
}
