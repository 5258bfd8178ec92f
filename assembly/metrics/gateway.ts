// The gateway's series (assembly/gateway/): what the address rewriter did, and requests per broker.
import { MetricType } from "../abi/enums";
import { API_KEY_COUNT } from "../kafka/generated/apis";
import { apiName } from "../kafka/header";
import { IndexedFamily, LabelBudget, label, series } from "./registry";
import * as M from "../../vocabulary/metrics";

/** What became of a response that may carry broker addresses. */
export const enum GatewayResult {
  Rewritten = 0,
  Unchanged = 1,
  TooLarge = 2,
  Malformed = 3,
  Cut = 4,
}
export const GATEWAY_RESULTS: StaticArray<string> = ["rewritten", "unchanged", "too_large", "malformed", "cut"];

function responseLabels(i: i32): string {
  return label("api", apiName(<i16>(i / GATEWAY_RESULTS.length))) + label("result", GATEWAY_RESULTS[i % GATEWAY_RESULTS.length]);
}

/** Node ids come from the cluster, and ports bound them; still, keep a budget. */
const nodeLabels = new LabelBudget("node_id", 256);
const UNSET: u32 = u32.MAX_VALUE - 1;

export class GatewayMetrics {
  /** kscope_gateway_responses_total{api,result}: responses to requests whose answer can name brokers. */
  readonly responses: IndexedFamily = new IndexedFamily(
    MetricType.Counter,
    M.gatewayResponses,
    API_KEY_COUNT * GATEWAY_RESULTS.length,
    responseLabels,
  );
  /** Broker addresses rewritten (node id, host and port of one broker entry). */
  readonly addresses: u32 = series(MetricType.Counter, M.gatewayAddressesRewritten, "");
  /** Broker entries left unchanged because their node id maps to no port (portBase + id > 65535). */
  readonly unmapped: u32 = series(MetricType.Counter, M.gatewayUnmappedNodes, "");
  /** node label -> series id per API key (UNSET until first used). */
  private byNode: Map<string, StaticArray<u32>> = new Map();

  response(key: i16, r: GatewayResult): u32 {
    return this.responses.id(<i32>key * GATEWAY_RESULTS.length + <i32>r);
  }

  /** kscope_gateway_requests_total{node_id,api}: requests by the broker the client addressed ("bootstrap" for the bootstrap port). */
  request(node: string, key: i16): u32 {
    if (key < 0 || <i32>key >= API_KEY_COUNT) return u32.MAX_VALUE;
    const n = nodeLabels.admit(node);
    let ids: StaticArray<u32>;
    if (this.byNode.has(n)) ids = this.byNode.get(n);
    else {
      ids = new StaticArray<u32>(API_KEY_COUNT);
      for (let i = 0; i < API_KEY_COUNT; i++) ids[i] = UNSET;
      this.byNode.set(n, ids);
    }
    let id = unchecked(ids[key]);
    if (id == UNSET) {
      id = series(MetricType.Counter, M.gatewayRequests, label("node_id", n) + label("api", apiName(key)));
      unchecked((ids[key] = id));
    }
    return id;
  }
}
