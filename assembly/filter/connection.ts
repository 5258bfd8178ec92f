// The per-connection filter: hands each chunk to the Kafka session and always continues.
// It never pauses or changes traffic; parsing failures only stop parsing.
import { Action, BufferType } from "../abi/enums";
import { Context, RootContext } from "../abi/context";
import { KafkaSession } from "../kafka/session";
import { ConnectionObserver } from "./client";
import { HostSource } from "./host_source";

export class KafkaConnection extends Context {
  private session: KafkaSession;
  private src: HostSource = new HostSource();
  private closed: bool = false;

  constructor(id: u32, root: RootContext, private obs: ConnectionObserver) {
    super(id, root);
    this.session = new KafkaSession(obs);
  }

  onDownstreamData(size: usize, endOfStream: bool): Action {
    if (size > 0 && this.session.parsing) {
      this.src.reset(BufferType.DownstreamData, <i32>size);
      this.session.feedRequests(this.src);
    }
    return Action.Continue;
  }

  onUpstreamData(size: usize, endOfStream: bool): Action {
    if (size > 0 && this.session.parsing) {
      this.src.reset(BufferType.UpstreamData, <i32>size);
      this.session.feedResponses(this.src);
    }
    return Action.Continue;
  }

  onDone(): bool {
    this.close();
    return true;
  }

  onDelete(): void { this.close(); }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session.dispose();
    this.obs.close();
    this.src.dispose();
  }
}
