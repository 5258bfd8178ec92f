// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, with a new empty
// profile, for the dashboard's browser tests. Screenshots go to test-artifacts/ (git-ignored).
import fs from "node:fs";
import path from "node:path";
import { BrowserContext, chromium } from "playwright-core";
import { onCleanup, tempDir } from "./procs";
import { ROOT } from "./kscope";

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(ROOT, "test-artifacts", "dashboard");

export async function startBrowser(viewport = { width: 1366, height: 768 }): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (scripts/setup.sh does), or set CHROMIUM_BIN`);
  const profile = tempDir("chromium");
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  // Chromium may still be writing its cache as it exits: retry, and never fail a test over it.
  const remove = () => {
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      /* left in the temp dir */
    }
  };
  const undo = onCleanup(() => {
    void ctx.close();
    remove();
  });
  ctx.on("close", () => {
    undo();
    setTimeout(remove, 500);
  });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ctx;
}
