// proxy-wasm ABI 0.2.1 constants: defined once in vocabulary/abi.ts, shared with the filter.
export * from "../../vocabulary/abi";

/** proxy_log levels by number (LogLevel), as the host prints them. */
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "critical"];
