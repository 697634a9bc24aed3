/**
 * A server binary the tests need, installed from Debian's packages where it is missing (CI and
 * these machines run as root), so `npm ci` and `npm test` need nothing installed by hand.
 * Several test files (jest workers) may get here at once: one installs, the others wait for it
 * (flock), then find what it installed; apt waits for dpkg's own lock too.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const INSTALL_LOCK = path.join(os.tmpdir(), "carewire-apt-install.lock");

/** What `find` finds, after installing `pkg` with apt when it finds nothing. */
export function withDebianPackage<T>(pkg: string, find: () => T | undefined, what: string): T {
  const found = find();
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) throw new Error(`${what} is not installed; install Debian's ${pkg} package (apt-get install ${pkg})`);
  const apt = (args: string[]) =>
    execFileSync("flock", [INSTALL_LOCK, "apt-get", "-o", "DPkg::Lock::Timeout=300", ...args], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, timeout: 600_000 });
  try {
    if (find() === undefined) apt(["install", "-y", "--no-install-recommends", pkg]);
  } catch {
    // A machine whose package lists were never fetched: fetch them, then install.
    apt(["update"]);
    if (find() === undefined) apt(["install", "-y", "--no-install-recommends", pkg]);
  }
  const installed = find();
  if (installed === undefined) throw new Error(`apt-get installed ${pkg}, but no ${what} was found`);
  return installed;
}
