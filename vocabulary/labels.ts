// kscope's label names: the one definition shared by the filter (asc) and the host, CLI, graph
// and dashboard (tsc), like ./metrics.ts. Plain string constants only.
// Every label here needs a stats_tags entry in examples/envoy and examples/istio (tested).

// ---- Who is talking (plugin configuration, node metadata, or resolved per connection) --------
export const workload = "workload";
export const namespace = "namespace";

// ---- Kafka -----------------------------------------------------------------------------------
export const api = "api";
export const version = "version";
export const error = "error";
export const topic = "topic";
export const partition = "partition";
export const group = "group";
export const clientId = "client_id";
export const compression = "compression";
export const mechanism = "mechanism";
export const principal = "principal";
export const result = "result";

// ---- The filter itself -----------------------------------------------------------------------
export const direction = "direction";
export const reason = "reason";
/** kscope_label_overflow_total: which label's budget turned a value away. */
export const label = "label";

// ---- HTTP: Istio's names (istio_requests_total) for the same meaning -------------------------
export const reporter = "reporter";
export const sourceWorkload = "source_workload";
export const sourceNamespace = "source_workload_namespace";
export const destinationWorkload = "destination_workload";
export const destinationNamespace = "destination_workload_namespace";
export const method = "method";
export const responseCode = "response_code";
export const responseClass = "response_class";
export const grpcStatus = "grpc_status";

// ---- Values with a fixed meaning -------------------------------------------------------------
/** reporter: the caller's proxy / the callee's proxy. */
export const REPORTER_SOURCE = "source";
export const REPORTER_DESTINATION = "destination";
/** A workload kscope cannot name. */
export const UNKNOWN = "unknown";
