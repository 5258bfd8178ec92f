// The per-connection filter: hands each chunk to the Kafka session and continues. Only with
// the gateway configured does it hold and rewrite responses (assembly/gateway/); parsing
// failures only stop parsing.
import { Action, BufferType } from "../abi/enums";
import { busy } from "../abi/gc";
import { Context, RootContext } from "../abi/context";
import { KafkaSession } from "../kafka/session";
import { ConnectionObserver } from "./client";
import { HostSource } from "./host_source";
import { Gateway } from "../gateway/gateway";
import { SliceSource } from "../kafka/bytes";

export class KafkaConnection extends Context {
  private session: KafkaSession;
  private src: HostSource = new HostSource();
  private closed: bool = false;
  private slice: SliceSource | null = null;

  /** `gateway`: the address rewriter of this connection, when the gateway is configured. */
  constructor(
    id: u32,
    root: RootContext,
    private obs: ConnectionObserver,
    private gateway: Gateway | null = null,
  ) {
    super(id, root);
    this.session = new KafkaSession(obs);
  }

  onDownstreamData(size: usize, endOfStream: bool): Action {
    if (size > 0 && this.session.parsing) {
      this.src.reset(BufferType.DownstreamData, <i32>size);
      this.session.feedRequests(this.src);
    }
    const gw = this.gateway;
    if (gw != null && size > 0) {
      busy(); // the gateway rewrites frames: it allocates (../abi/gc.ts)
      this.src.reset(BufferType.DownstreamData, <i32>size);
      gw.requests(this.src, <i32>size);
    }
    return Action.Continue;
  }

  onUpstreamData(size: usize, endOfStream: bool): Action {
    const gw = this.gateway;
    if (gw != null) return this.gatewayUpstream(gw, <i32>size, endOfStream);
    if (size > 0 && this.session.parsing) {
      this.src.reset(BufferType.UpstreamData, <i32>size);
      this.session.feedResponses(this.src);
    }
    return Action.Continue;
  }

  /** The host re-presents bytes held by a Pause: the session sees only the new ones. */
  private gatewayUpstream(gw: Gateway, size: i32, eos: bool): Action {
    busy();
    this.src.reset(BufferType.UpstreamData, size);
    const from = gw.held;
    if (size > from && this.session.parsing) {
      if (from == 0) this.session.feedResponses(this.src);
      else {
        let slice = this.slice;
        if (slice == null) {
          slice = new SliceSource();
          this.slice = slice;
        }
        slice.reset(this.src, from, size - from);
        this.session.feedResponses(slice);
      }
    }
    return gw.responses(this.src, size, eos);
  }

  onDone(): bool {
    this.close();
    return true;
  }

  onDelete(): void {
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.dispose();
    this.obs.close();
    this.src.dispose();
    if (this.gateway != null) this.gateway!.dispose();
  }
}
