// AssemblyScript's runtime calls abort() on a failed assertion or out-of-bounds access.
// Envoy provides no `env.abort`, so route it to proxy_log and then trap (unreachable).
// kscope's codec is written never to reach it: every read is bounds-checked by the cursor.
import { LogLevel } from "./enums";
import { log } from "./host";

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = "kscope abort: " + (message != null ? message : "") + " at " + (fileName != null ? fileName : "") + ":" + line.toString();
  log(LogLevel.Error, text);
  unreachable();
}
