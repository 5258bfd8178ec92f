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
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (scripts/setup.sh does), or set CHROMIUM_BIN`);
  const profile = tempDir("chromium");
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const undo = onCleanup(() => { void ctx.close(); fs.rmSync(profile, { recursive: true, force: true }); });
  ctx.on("close", () => { undo(); fs.rmSync(profile, { recursive: true, force: true }); });
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return ctx;
}
