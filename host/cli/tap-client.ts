// The client side of GET /api/tap (host/admin/routes.ts), shared by `kscope tap` and `kscope top`:
// opens the NDJSON stream, checks its hello line, and hands over one event per line.
import { AdminSource, authHeaders } from "./admin-source";
import { CliError } from "./source";
import type { TapEvent, TapFilter } from "../tap";

export interface TapHello {
  ev: "hello";
  supported: boolean;
  filter: boolean;
}

export interface TapStream {
  /** Events in arrival order, with the raw NDJSON line; ends when the stream closes or is stopped. */
  events: AsyncIterable<{ e: TapEvent; line: string }>;
  /** Closes the stream: the proxy drops this subscriber (and stops tapping if it was the last). */
  stop(): void;
}

/** Opens a tap on the proxy at `base`; throws CliError (exit 2 unreachable, 5 cannot tap). */
export async function openTap(base: string, filter: TapFilter = {}): Promise<TapStream> {
  const q = new URLSearchParams();
  for (const k of ["topic", "group", "client", "api"] as const) if (filter[k]) q.set(k, filter[k]);
  const ac = new AbortController();
  let res: Response;
  try {
    res = await fetch(`${base}/api/tap?${q}`, { signal: ac.signal, headers: authHeaders() });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause;
    throw new CliError(`cannot reach the kscope admin endpoint at ${base} (${cause?.code ?? (e as Error).message})`, AdminSource.hint, 2);
  }
  if (res.status === 404) throw new CliError(`${base} does not serve /api/tap`, "is it a kscope proxy of this version?", 2);
  if (!res.ok || !res.body) throw new CliError(`${base}/api/tap answered HTTP ${res.status}`, undefined, 2);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = "",
    stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    ac.abort();
    reader.cancel().catch(() => {});
  };
  /** The next line, or undefined at the end of the stream. */
  const nextLine = async (): Promise<string | undefined> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line) return line;
        continue;
      }
      if (stopped) return undefined;
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        if (stopped) return undefined;
        throw e;
      }
      if (r.done) return undefined;
      buf += decoder.decode(r.value, { stream: true });
    }
  };
  const first = await nextLine();
  const hello = first ? (JSON.parse(first) as TapHello) : undefined;
  if (!hello || hello.ev !== "hello") {
    stop();
    throw new CliError(`${base}/api/tap did not start with a hello line`, "is it a kscope proxy of this version?", 2);
  }
  if (!hello.filter) {
    stop();
    throw new CliError(
      "this proxy runs without the filter (--no-filter): there is nothing to tap",
      "restart `kscope proxy` without --no-filter",
      5,
    );
  }
  if (!hello.supported) {
    stop();
    throw new CliError(
      "this proxy's filter cannot tap (it does not use the shared-queue calls)",
      "rebuild kscope.wasm with assembly/filter/tap.ts wired into the observer",
      5,
    );
  }
  async function* events(): AsyncGenerator<{ e: TapEvent; line: string }> {
    for (let line = await nextLine(); line !== undefined; line = await nextLine()) yield { e: JSON.parse(line) as TapEvent, line };
  }
  return { events: events(), stop };
}
