// The HTTP side of the host's proxy-wasm ABI: header maps (what the filter's HTTP callbacks read
// and change) and the handle of one HTTP stream, whose calls run the matching proxy_on_* callbacks.
import { MapType, Status } from "./abi";
import type { ConnectionInfo, ProxyWasmVm } from "./vm";

/** A header map as proxy-wasm sees it: lower-case names (pseudo-headers such as :method first), in order. */
export type HeaderPairs = [string, string][];

type Bytes = (ptr: number, len: number) => Buffer;
type Give = (data: Buffer, ptrOut: number, lenOut: number) => Status;

/**
 * proxy_*_header_map_value over the maps of the current callback, with Envoy's semantics: names
 * are lower-case; get answers the first value; add appends; replace sets the first and drops the
 * others; remove drops all. A map the callback does not have answers NOT_FOUND.
 */
export function headerMapImports(maps: Map<number, HeaderPairs>, bytes: Bytes, give: Give): Record<string, (...a: number[]) => Status> {
  const name = (kp: number, kl: number): string => bytes(kp, kl).toString("utf8").toLowerCase();
  return {
    proxy_get_header_map_value: (map, kp, kl, vpOut, vlOut) => {
      const pairs = maps.get(map);
      const hit = pairs?.find(([k]) => k === name(kp, kl));
      return hit ? give(Buffer.from(hit[1]), vpOut, vlOut) : Status.NotFound;
    },
    proxy_add_header_map_value: (map, kp, kl, vp, vl) => {
      const pairs = maps.get(map);
      if (!pairs) return Status.NotFound;
      pairs.push([name(kp, kl), bytes(vp, vl).toString("utf8")]);
      return Status.Ok;
    },
    proxy_replace_header_map_value: (map, kp, kl, vp, vl) => {
      const pairs = maps.get(map);
      if (!pairs) return Status.NotFound;
      const k = name(kp, kl),
        v = bytes(vp, vl).toString("utf8");
      const i = pairs.findIndex(([n]) => n === k);
      if (i < 0) pairs.push([k, v]);
      else {
        pairs[i] = [k, v];
        for (let j = pairs.length - 1; j > i; j--) if (pairs[j][0] === k) pairs.splice(j, 1);
      }
      return Status.Ok;
    },
    proxy_remove_header_map_value: (map, kp, kl) => {
      const pairs = maps.get(map);
      if (!pairs) return Status.NotFound;
      const k = name(kp, kl);
      for (let j = pairs.length - 1; j >= 0; j--) if (pairs[j][0] === k) pairs.splice(j, 1);
      return Status.Ok;
    },
  };
}

/** The filter's view of one HTTP stream; each call runs the matching proxy_on_* callback. */
export class HttpStream {
  private ended = false;
  /** `generation` 0: made while the filter was down; the stream is forwarded unobserved. */
  constructor(
    private vm: ProxyWasmVm,
    readonly id: number,
    readonly info: ConnectionInfo,
    private readonly generation: number,
  ) {}
  requestHeaders(pairs: HeaderPairs, eos: boolean): void {
    this.vm.http(this.id, this.generation, this.info, [[MapType.RequestHeaders, pairs]], "proxy_on_request_headers", (ex) =>
      ex.proxy_on_request_headers?.(this.id, pairs.length, eos ? 1 : 0),
    );
  }
  responseHeaders(pairs: HeaderPairs, eos: boolean): void {
    this.vm.http(this.id, this.generation, this.info, [[MapType.ResponseHeaders, pairs]], "proxy_on_response_headers", (ex) =>
      ex.proxy_on_response_headers?.(this.id, pairs.length, eos ? 1 : 0),
    );
  }
  responseTrailers(pairs: HeaderPairs): void {
    this.vm.http(this.id, this.generation, this.info, [[MapType.ResponseTrailers, pairs]], "proxy_on_response_trailers", (ex) =>
      ex.proxy_on_response_trailers?.(this.id, pairs.length),
    );
  }
  /** The stream is over (complete or reset): Envoy's order, log then done then delete. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.vm.http(this.id, this.generation, this.info, [], "stream end", (ex) => {
      ex.proxy_on_log?.(this.id);
      ex.proxy_on_done(this.id);
      ex.proxy_on_delete(this.id);
    });
  }
}
