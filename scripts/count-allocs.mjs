// Instruments a kscope.wasm built with --exportRuntime so that it counts its allocations: every
// call of the runtime's __new (each object, string, array or buffer AssemblyScript allocates)
// increments a global exported as `allocs`, which bench/codec.js reads (allocations per frame).
// A measuring build only: the shipped module is never instrumented.
//   node scripts/count-allocs.mjs build/kscope.allocs.wasm   (rewrites the file in place)
import { readFileSync, writeFileSync } from "node:fs";
import binaryen from "binaryen";

const file = process.argv[2];
const m = binaryen.readBinary(readFileSync(file));
m.setFeatures(binaryen.Features.All);
const exp = m.getExport("__new");
if (!exp) throw new Error(`${file}: no __new export (build it with --exportRuntime)`);
const fn = m.getFunction(binaryen.getExportInfo(exp).value);
const { results, body } = binaryen.getFunctionInfo(fn);
m.addGlobal("allocs", binaryen.i32, true, m.i32.const(0));
const count = m.global.set("allocs", m.i32.add(m.global.get("allocs", binaryen.i32), m.i32.const(1)));
binaryen._BinaryenFunctionSetBody(fn, m.block(null, [count, body], results));
m.addGlobalExport("allocs", "allocs");
if (!m.validate()) throw new Error("instrumented module does not validate");
writeFileSync(file, m.emitBinary());
