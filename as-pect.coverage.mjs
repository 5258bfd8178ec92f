// as-pect with @as-covers: the same specs as as-pect.config.mjs, every file under assembly/
// instrumented. Each cover point (function, block, expression) is also recorded here and written
// to build/coverage/filter.json when the run ends, for scripts/coverage.mjs to report per file.
// Run it through scripts/coverage.mjs (make coverage): it supplies the asconfig with the fixed
// transform (scripts/as-covers-transform.mjs).
import { mkdirSync, writeFileSync } from "node:fs";
import base from "./as-pect.config.mjs";

const points = new Map(); // id -> { file, line, col, type, covered }
process.on("exit", () => {
  mkdirSync("build/coverage", { recursive: true });
  writeFileSync("build/coverage/filter.json", JSON.stringify([...points.values()]));
});

export default {
  ...base,
  coverage: ["assembly/**/*.ts"],
  async instantiate(memory, createImports, instantiate, binary) {
    let instance;
    const withCovers = (...args) => {
      const imports = createImports(...args);
      const { cover, coverDeclare } = imports.__asCovers;
      imports.__asCovers = {
        coverDeclare(filePtr, id, line, col, type) {
          coverDeclare(filePtr, id, line, col, type);
          const file = instance.exports.__getString(filePtr);
          if (file.startsWith("assembly/") && !points.has(id)) points.set(id, { file, line, col, type, covered: false });
        },
        cover(id) {
          cover(id);
          const p = points.get(id);
          if (p) p.covered = true;
        },
      };
      return imports;
    };
    instance = await base.instantiate(memory, withCovers, instantiate, binary);
    return instance;
  },
};
