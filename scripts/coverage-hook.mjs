// Preloaded (node --import) by scripts/coverage.mjs into the host's tests: wherever kscope's host
// compiles build/kscope.wasm, it gets build/coverage/kscope.cover.wasm instead (the same filter
// built with @as-covers' transform), and the cover points it reaches are written to
// build/coverage/host-<pid>.json when the process exits. Nothing in host/ knows about it.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const release = readFileSync(join(root, "build/kscope.wasm"));
const instrumented = readFileSync(join(root, "build/coverage/kscope.cover.wasm"));
const covered = new Set();
const instances = [];

const BaseModule = WebAssembly.Module;
const BaseInstance = WebAssembly.Instance;
WebAssembly.Module = class extends BaseModule {
  constructor(bytes) {
    super(Buffer.from(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength).equals(release) ? instrumented : bytes);
  }
};
WebAssembly.Instance = class extends BaseInstance {
  constructor(module, imports = {}) {
    if (!BaseModule.imports(module).some((i) => i.module === "__asCovers")) {
      super(module, imports);
      return;
    }
    const mine = []; // [filePtr, id, line, col, type]: declared by the start function, before `this` exists
    super(module, {
      ...imports,
      __asCovers: { coverDeclare: (...d) => void mine.push(d), cover: (id) => void covered.add(id) },
    });
    instances.push({ memory: this.exports.memory, declared: mine });
  }
};

/** An AssemblyScript string: UTF-16 code units, byte length in the header word before it. */
function asString(memory, ptr) {
  const len = new DataView(memory.buffer).getUint32(ptr - 4, true);
  return Buffer.from(memory.buffer, ptr, len).toString("utf16le");
}

process.on("exit", () => {
  if (instances.length === 0) return;
  const points = new Map();
  for (const { memory, declared: ds } of instances) {
    for (const [filePtr, id, line, col, type] of ds) {
      if (!points.has(id)) points.set(id, { file: asString(memory, filePtr), line, col, type, covered: false });
    }
  }
  for (const id of covered) if (points.has(id)) points.get(id).covered = true;
  mkdirSync(join(root, "build/coverage"), { recursive: true });
  writeFileSync(
    join(root, `build/coverage/host-${process.pid}.json`),
    JSON.stringify([...points.values()].filter((p) => p.file.startsWith("assembly/"))),
  );
});
