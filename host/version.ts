// kscope's version, read once from package.json (dist/host/version.js → ../../package.json).
import { readFileSync } from "node:fs";
import path from "node:path";

export const VERSION = (JSON.parse(readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
