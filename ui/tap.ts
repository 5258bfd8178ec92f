// The browser side of GET /api/tap: one NDJSON line per decoded request or response.
import type { TapEvent } from "../host/tap";

export type { TapEvent };

export function openTap(filter: Record<string, string>, onEvent: (e: TapEvent) => void, onState: (s: string) => void): () => void {
  const ac = new AbortController();
  const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  void (async () => {
    try {
      const res = await fetch(`/api/tap?${q}`, { signal: ac.signal });
      if (!res.ok || !res.body) {
        onState(`tap: HTTP ${res.status}`);
        return;
      }
      const reader = res.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          onState("tap closed");
          return;
        }
        buf += dec.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const e = JSON.parse(line) as TapEvent | { ev: "hello"; supported: boolean };
          if (e.ev === "hello") onState(e.supported ? "tapping" : "this proxy's filter cannot tap");
          else onEvent(e);
        }
      }
    } catch (e) {
      if (!ac.signal.aborted) onState(`tap: ${(e as Error).message}`);
    }
  })();
  return () => ac.abort();
}
