// as-pect runs the filter's codec tests in Node. The proxy-wasm host imports are stubbed here
// with a tiny in-memory metric store so code that defines metrics can be exercised too.
// One spec file: SPEC=cursor npx asp --config as-pect.config.mjs (as-pect adds file arguments to
// the configured entries instead of replacing them).
export default {
  entries: [`test/assembly/${process.env.SPEC ?? "**/*"}.spec.ts`],
  include: ["test/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const metrics = [];
    let instance;
    const mem = () => new DataView(instance.exports.memory.buffer);
    const env = {
      memory,
      proxy_log: () => 0,
      proxy_get_buffer_bytes: () => 1,
      proxy_get_buffer_status: () => 1,
      proxy_get_property: () => 1,
      proxy_set_tick_period_milliseconds: () => 0,
      proxy_get_shared_data: () => 1, // NOT_FOUND: no tap in unit tests
      proxy_set_shared_data: () => 12, // UNIMPLEMENTED: label budgets stay per VM here
      proxy_register_shared_queue: () => 1,
      proxy_enqueue_shared_queue: () => 1,
      proxy_get_current_time_nanoseconds: (out) => {
        mem().setBigUint64(out, process.hrtime.bigint(), true);
        return 0;
      },
      proxy_define_metric: (type, ptr, len, out) => {
        metrics.push(0n);
        mem().setUint32(out, metrics.length - 1, true);
        return 0;
      },
      proxy_increment_metric: (id, by) => {
        metrics[id] += BigInt(by);
        return 0;
      },
      proxy_record_metric: (id, v) => {
        metrics[id] = BigInt(v);
        return 0;
      },
      proxy_get_metric: (id, out) => {
        mem().setBigUint64(out, BigInt.asUintN(64, metrics[id] ?? 0n), true);
        return 0;
      },
    };
    instance = await instantiate(binary, createImports({ env })); // the loader returns a Promise
    return instance;
  },
  outputBinary: false,
};
