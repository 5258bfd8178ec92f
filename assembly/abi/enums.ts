// Numeric values fixed by proxy-wasm ABI 0.2.1: defined once in vocabulary/abi.ts, shared with the host.
export * from "../../vocabulary/abi";
