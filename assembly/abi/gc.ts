// Garbage collection at quiet points. kscope.wasm is built with AssemblyScript's minimal runtime
// (asconfig.json, release target): unlike the incremental one it keeps no shadow stack and puts no
// write barrier in every call and store, which halves the filter's CPU per frame (bench/RESULTS.md).
// Its collector runs only when called, and is safe only while no managed reference lives on the
// Wasm stack alone: at the end of a host callback. It runs there after a callback in which the heap
// grew, and at least every CALLBACKS_PER_PAGE busy callbacks per page of heap: a full mark-and-sweep
// costs about as much as the live heap, so it is paid at a rate proportional to it, and garbage
// made between collections stays bounded. A data callback is busy only if something happened in
// it (the observer saw an event, or the gateway ran): a chunk of records streaming past allocates
// nothing, and a bulk Produce is a dozen such chunks per frame. Other runtimes (the test modules'
// incremental GC) collect by themselves: this does nothing there.

/** With ~0 allocations per frame, a collection every 64 busy callbacks per 64 KiB page costs little. */
const CALLBACKS_PER_PAGE: i32 = 64;
/** ASC_RUNTIME of the minimal runtime (Runtime.Minimal in AssemblyScript's std/assembly/shared/runtime.ts). */
const MINIMAL: i32 = 1;

let pages: i32 = 0;
let callbacks: i32 = 0;
/** Something in the current outermost callback may have made garbage (see busy()). */
let wasBusy: bool = false;
/** Callbacks under way: a host may call one export from inside another (proxy_on_memory_allocate
 * always; others if the filter ever closes or continues a stream), and only the outermost may collect. */
let depth: i32 = 0;

/**
 * Called first in each exported callback that runs the filter's code (./exports.ts). Data
 * callbacks pass `quiet`: they count towards a collection only if the filter calls busy().
 */
export function enter(quiet: bool = false): void {
  depth++;
  if (!quiet) wasBusy = true;
}

/** The callback under way did work that may allocate (a frame ended); see CALLBACKS_PER_PAGE. */
export function busy(): void {
  wasBusy = true;
}

/** Work the filter does at the end of each outermost callback (the metrics' flush, ../metrics/registry.ts). */
let restHook: () => void = () => {};
export function atRest(fn: () => void): void {
  restHook = fn;
}

/** Called last in each such callback: if this is the outermost one, runs the rest hook, then collects if due. */
export function collectIfDue(): void {
  if (--depth > 0) return;
  restHook();
  if (ASC_RUNTIME != MINIMAL) return;
  const now = memory.size();
  const counts = wasBusy;
  wasBusy = false;
  if (now == pages && (!counts || ++callbacks < now * CALLBACKS_PER_PAGE)) return;
  __collect();
  pages = memory.size();
  callbacks = 0;
}
