// kscope's metric names: the one definition the filter (asc), the host, the CLI, the topology
// graph and the dashboard (tsc) all import, so a renamed metric cannot silently empty a view.
// Both compilers read this file: plain string constants only (no AssemblyScript types).
// Labels of each series in {braces}; label names are in ./labels.ts. The README's metric table
// mirrors this file.

// ---- Connections and frames ------------------------------------------------------------------
export const connectionsTotal = "kscope_connections_total";
export const connectionsActive = "kscope_connections_active";
/** {reason}: connections whose bytes kscope stopped parsing (forwarded untouched). */
export const connectionsUnparsed = "kscope_connections_unparsed_total";
export const requestsInFlight = "kscope_requests_in_flight";
/** {direction,reason} */
export const framesUndecoded = "kscope_frames_undecoded_total";
/** {label}: client-chosen label values turned away by the label budget. */
export const labelOverflow = "kscope_label_overflow_total";

// ---- Kafka APIs ------------------------------------------------------------------------------
/** {api,version} */
export const requests = "kscope_requests_total";
/** {api,version} */
export const responses = "kscope_responses_total";
/** {api} */
export const requestBytes = "kscope_request_bytes_total";
/** {api} */
export const responseBytes = "kscope_response_bytes_total";
/** Histogram {api}, microseconds (request to response). */
export const requestDuration = "kscope_request_duration_microseconds";
/** {api,error} */
export const errors = "kscope_errors_total";

// ---- Clients ---------------------------------------------------------------------------------
/** {client_id,api} */
export const clientRequests = "kscope_client_requests_total";
/** {client_id,api}: responses carrying any Kafka error code. */
export const clientErrors = "kscope_client_errors_total";
/** Histogram {client_id}, microseconds. */
export const clientDuration = "kscope_client_request_duration_microseconds";

// ---- Topics ----------------------------------------------------------------------------------
/** {topic,client_id,compression} */
export const producedRecords = "kscope_produced_records_total";
export const producedBytes = "kscope_produced_bytes_total";
export const producedBatches = "kscope_produced_batches_total";
/** {topic,group,client_id} */
export const fetchedRecords = "kscope_fetched_records_total";
export const fetchedBytes = "kscope_fetched_bytes_total";
/** {topic,api,error} */
export const topicErrors = "kscope_topic_errors_total";
/** {topic} */
export const topicPartitions = "kscope_topic_partitions";
/** {topic,partition} = the leader's broker id. */
export const partitionLeader = "kscope_partition_leader";
/** {topic,partition} */
export const highWatermark = "kscope_partition_high_watermark";
export const clusterBrokers = "kscope_cluster_brokers";

// ---- Consumer groups -------------------------------------------------------------------------
/** {group} */
export const groupMembers = "kscope_group_members";
export const groupGeneration = "kscope_group_generation";
export const groupRebalances = "kscope_group_rebalances_total";
export const groupJoins = "kscope_group_joins_total";
export const groupLeaves = "kscope_group_leaves_total";
/** {group,topic,partition} */
export const committedOffset = "kscope_group_committed_offset";
export const lagRecords = "kscope_consumer_lag_records";
export const lagSeconds = "kscope_consumer_lag_seconds";
/**
 * Histogram {topic,group}, milliseconds: delivery time − record batch timestamp, per delivered
 * batch weighted by its delivered records; buckets 1 ms .. 1 h.
 */
export const deliveryLatency = "kscope_delivery_latency_milliseconds";

// ---- Security and transactions ---------------------------------------------------------------
/** {mechanism,principal,result} */
export const saslAuthentications = "kscope_sasl_authentications_total";
/** {client_id,result} */
export const transactions = "kscope_transactions_total";

// ---- HTTP (the HTTP filter root), Istio's label names where the meaning is the same ----------
/**
 * {reporter,source_workload,source_workload_namespace,destination_workload,
 *  destination_workload_namespace,method,response_code,response_class[,grpc_status]}
 */
export const httpRequests = "kscope_http_requests_total";
/** Histogram {reporter,source_workload,source_workload_namespace,destination_workload,destination_workload_namespace}, microseconds. */
export const httpDuration = "kscope_http_request_duration_microseconds";

// ---- gateway (kscope gateway, issue 13) ------------------------------------------------------
/** Counter: broker addresses rewritten to the gateway's in responses. */
export const gatewayAddressesRewritten = "kscope_gateway_addresses_rewritten_total";
/** Counter: broker ids in responses with no gateway port. */
export const gatewayUnmappedNodes = "kscope_gateway_unmapped_nodes_total";
/** Counter {api,result}: responses to requests whose answer can name brokers. */
export const gatewayResponses = "kscope_gateway_responses_total";
/** Counter {node_id,api}: requests through the gateway per broker. */
export const gatewayRequests = "kscope_gateway_requests_total";

/** Every histogram above (Envoy needs buckets for each; the host uses the same). */
export const histograms: string[] = [requestDuration, clientDuration, deliveryLatency, httpDuration];
