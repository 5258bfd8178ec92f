// A TCP proxy that runs every connection through the filter: bytes are forwarded as they
// arrive, with backpressure both ways and half-close. With Envoy's semantics: if the filter
// returns PAUSE, the bytes (as the filter left them) are held and presented again with the next
// chunk; on CONTINUE the bytes as the filter left them (proxy_set_buffer_bytes) are forwarded.
import net from "node:net";
import { Action, PeerType } from "./wasm/abi";
import { FilterConnection, ProxyWasmVm } from "./wasm/vm";
import { UpstreamHealth } from "./upstream";

export interface ProxyOptions {
  listen: { host: string; port: number };
  /** Where to forward; a function is asked once per connection (the gateway's bootstrap picks a live broker). */
  upstream: { host: string; port: number } | (() => { host: string; port: number });
  /**
   * What the filter sees as destination.address: the upstream by default; the listener's address
   * with "listener", as in Envoy (the gateway tells brokers apart by the port clients dialled).
   */
  destination?: "upstream" | "listener";
  /** Without a VM the proxy forwards bytes only (the "no filter" benchmark path). */
  vm?: ProxyWasmVm;
  onError?: (err: Error) => void;
  /** Told the outcome of every upstream connect (host/upstream.ts logs changes, feeds /healthz). */
  upstreamHealth?: UpstreamHealth;
  /** An upstream connect that has not completed by then fails (default 10 s): no client hangs. */
  connectTimeoutMs?: number;
}

export interface ProxyStats {
  accepted: number;
  active: number;
}

type Filter = (chunk: Buffer, eos: boolean) => { action: Action; data: Buffer };
/** Takes a chunk; returns whether it is still referenced when the call returns (held, or a write still pending). */
export type Sink = (chunk: Buffer) => boolean;

/** An upstream socket's read buffer: its first size, least and most. */
const READ_FIRST = 1024;
const READ_MOST = 256 * 1024;

/**
 * Reads of an upstream socket (net's `onread`) land in a buffer of its own, reused read after
 * read, instead of a new 64 KiB buffer per read pushed through Node's stream machinery: about
 * half the host's CPU per byte in the consume direction, where Fetch responses stream
 * (bench/RESULTS.md). Like a kernel's read-ahead, the buffer grows while reads fill it and
 * shrinks when they use little of it (an idle connection holds 1 KiB); it goes with a chunk that
 * outlives its callback (a write the kernel did not take at once, bytes the filter holds) and a
 * new one serves the next read. Client sockets come from the server, which takes no `onread`:
 * they keep Node's reads.
 */
export function upstreamReads(sink: () => Sink): net.OnReadOpts {
  let buf = Buffer.allocUnsafe(READ_FIRST);
  return {
    buffer: () => buf,
    callback: (n) => {
      const kept = sink()(buf.subarray(0, n));
      let size = buf.length;
      if (n === size) size = Math.min(size * 4, READ_MOST);
      else if (n * 16 < size) size = Math.max(size / 4, READ_FIRST);
      if (kept || size !== buf.length) buf = Buffer.allocUnsafe(size);
      return true;
    },
  };
}

/** One direction: filter, then write, pausing the reader while the writer is full. Returns the reader's sink. */
function pipe(from: net.Socket, to: net.Socket, filter: Filter | undefined): Sink {
  let held: Buffer | null = null;
  const sink = (chunk: Buffer): boolean => {
    if (filter) {
      const r = filter(held ? Buffer.concat([held, chunk]) : chunk, false);
      if (r.action === Action.Pause) {
        held = r.data;
        return true;
      }
      held = null;
      chunk = r.data;
      if (chunk.length === 0) return false;
    }
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
    return to.writableLength > 0; // the kernel did not take it all at once: the write keeps the chunk
  };
  from.on("end", () => {
    if (filter) {
      const r = filter(held ?? Buffer.alloc(0), true);
      if (r.data.length) to.write(r.data);
      held = null;
    }
    to.end();
  });
  return sink;
}

export function startProxy(opts: ProxyOptions): Promise<{ server: net.Server; stats: ProxyStats; close(): Promise<void> }> {
  const stats: ProxyStats = { accepted: 0, active: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    stats.accepted++;
    stats.active++;
    const to = typeof opts.upstream === "function" ? opts.upstream() : opts.upstream;
    let fromUpstream: Sink = () => false; // set below, before any byte can arrive
    const upstream = net.connect({
      host: to.host,
      port: to.port,
      allowHalfOpen: true,
      noDelay: true,
      onread: upstreamReads(() => fromUpstream),
    });
    // Until connected, a failure is the upstream's: the client is closed at once, never left hanging.
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    upstream.setTimeout(timeoutMs, () => upstream.destroy(new Error(`connect timed out after ${timeoutMs} ms`)));
    let connected = false;
    upstream.once("connect", () => {
      connected = true;
      upstream.setTimeout(0);
      opts.upstreamHealth?.report(true);
    });
    upstream.once("error", (err) => {
      if (!connected) opts.upstreamHealth?.report(false, err.message);
    });
    sockets.add(client).add(upstream);
    let fc: FilterConnection | undefined;
    const destination = opts.destination === "listener" ? `${client.localAddress}:${client.localPort}` : `${to.host}:${to.port}`;
    try {
      fc = opts.vm?.connect({ source: `${client.remoteAddress}:${client.remotePort}`, destination });
    } catch (err) {
      opts.onError?.(err as Error); // a filter failure never stops traffic
    }
    // The VM contains the filter's traps itself; this only keeps a host bug from stopping traffic.
    const guard = (dir: "downstream" | "upstream"): Filter | undefined =>
      fc &&
      ((chunk: Buffer, eos: boolean) => {
        if (!fc) return { action: Action.Continue, data: chunk };
        try {
          const action = fc[dir](chunk, eos);
          return { action, data: fc.output };
        } catch (err) {
          opts.onError?.(err as Error);
          fc = undefined;
          return { action: Action.Continue, data: chunk };
        }
      });
    client.on("data", pipe(client, upstream, guard("downstream")));
    fromUpstream = pipe(upstream, client, guard("upstream"));
    let closed = 0;
    const done = (peer: PeerType) => {
      if (++closed < 2) return;
      stats.active--;
      sockets.delete(client);
      sockets.delete(upstream);
      try {
        fc?.close(peer);
      } catch (err) {
        opts.onError?.(err as Error);
      }
    };
    client.on("close", () => {
      upstream.destroy();
      done(PeerType.Remote);
    });
    upstream.on("close", () => {
      client.destroy();
      done(PeerType.Local);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.listen.port, opts.listen.host, () => {
      resolve({
        server,
        stats,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
