/**
 * Putting generated files on disk, all or nothing, and `--check`.
 *
 * Each provider directory is owned by the generator: it is rebuilt in a sibling
 * temporary directory and swapped in with renames, so a crash or an error never
 * leaves a half-written client behind.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface OutputDir {
  readonly dir: string;
  readonly files: ReadonlyMap<string, string>;
}

export async function writeOutputDirs(outputs: readonly OutputDir[]): Promise<void> {
  const staged: Array<{ dir: string; temp: string }> = [];
  try {
    for (const output of outputs) {
      const temp = `${output.dir}.carewire-tmp-${process.pid}`;
      await rm(temp, { recursive: true, force: true });
      await mkdir(temp, { recursive: true });
      for (const [name, content] of output.files) {
        await mkdir(path.dirname(path.join(temp, name)), { recursive: true });
        await writeFile(path.join(temp, name), content);
      }
      staged.push({ dir: output.dir, temp });
    }
  } catch (error) {
    await Promise.all(staged.map((s) => rm(s.temp, { recursive: true, force: true })));
    throw error;
  }
  for (const { dir, temp } of staged) {
    const old = `${dir}.carewire-old-${process.pid}`;
    await rm(old, { recursive: true, force: true });
    let hadOld = true;
    try {
      await rename(dir, old);
    } catch {
      hadOld = false;
    }
    await rename(temp, dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  }
}

/** Writes single files (e.g. `generated/providers.ts`) via write-then-rename. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.carewire-tmp-${process.pid}`;
  await writeFile(temp, content);
  await rename(temp, file);
}

/** Files that differ from what the specs produce: changed, missing or not produced any more. */
export async function findStaleFiles(outputs: readonly OutputDir[], singles: ReadonlyMap<string, string>): Promise<string[]> {
  const stale: string[] = [];
  for (const output of outputs) {
    const present = await listFiles(output.dir);
    for (const [name, content] of output.files) {
      const file = path.join(output.dir, name);
      if (!(await sameContent(file, content))) stale.push(file);
    }
    for (const name of present) if (!output.files.has(name)) stale.push(path.join(output.dir, name));
  }
  for (const [file, content] of singles) if (!(await sameContent(file, content))) stale.push(file);
  return stale.map((f) => path.relative(process.cwd(), f) || f).sort();
}

async function sameContent(file: string, expected: string): Promise<boolean> {
  try {
    return (await readFile(file, "utf8")) === expected;
  } catch {
    return false;
  }
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}
