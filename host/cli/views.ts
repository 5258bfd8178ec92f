// How each `kscope stat` resource prints: its key, columns (table / wide) and default sort.
import * as fmt from "./format";
import { Colours } from "./format";
import * as model from "./model";
import { Filters } from "./model";
import { Source } from "./source";

type R = Record<string, unknown>;

export interface View {
  resource: string;
  key: string;
  filters: (keyof Filters)[];
  sort: string;
  load(src: Source, f: Filters): Promise<R[]>;
  columns(c: Colours): fmt.Column<R>[];
}

const right = "right" as const;

export const VIEWS: Record<string, View> = {
  topics: {
    resource: "topics",
    key: "topic",
    filters: ["topic", "group", "client"],
    sort: "producedRecordsPerSec",
    load: model.topics,
    columns: () => [
      { header: "TOPIC", cell: (r) => fmt.text(r.topic) },
      { header: "PRODUCE", cell: (r) => fmt.rate(r.producedRecordsPerSec), align: right },
      { header: "PRODUCE_BYTES", cell: (r) => fmt.bytes(r.producedBytesPerSec, "/s"), align: right },
      { header: "FETCH", cell: (r) => fmt.rate(r.fetchedRecordsPerSec), align: right },
      { header: "FETCH_BYTES", cell: (r) => fmt.bytes(r.fetchedBytesPerSec, "/s"), align: right, wide: true },
      { header: "ERRORS", cell: (r) => fmt.rate(r.errorsPerSec), align: right },
      { header: "PARTITIONS", cell: (r) => fmt.num(r.partitions), align: right, wide: true },
      { header: "PRODUCERS", cell: (r) => fmt.num(r.producers), align: right },
      { header: "GROUPS", cell: (r) => fmt.num(r.groups), align: right },
    ],
  },
  groups: {
    resource: "groups",
    key: "group",
    filters: ["group", "topic", "client"],
    sort: "lagRecords",
    load: model.groups,
    columns: (c) => [
      { header: "GROUP", cell: (r) => fmt.text(r.group) },
      { header: "STATE", cell: (r) => fmt.stateColour(r.state, c) },
      { header: "MEMBERS", cell: (r) => fmt.num(r.members), align: right },
      { header: "REBALANCES", cell: (r) => fmt.num(r.rebalances), align: right, wide: true },
      { header: "COMMITTED", cell: (r) => fmt.rate(r.committedPerSec), align: right },
      { header: "FETCH", cell: (r) => fmt.rate(r.fetchedRecordsPerSec), align: right, wide: true },
      { header: "LAG", cell: (r) => fmt.num(r.lagRecords), align: right },
      { header: "WORST_LAG", cell: (r) => fmt.num(r.worstLagRecords), align: right, wide: true },
      { header: "LAG_TIME", cell: (r) => fmt.duration(r.lagSeconds), align: right },
      { header: "PARTITIONS", cell: (r) => fmt.num(r.partitions), align: right, wide: true },
      { header: "TOPICS", cell: (r) => fmt.list(r.topics) },
    ],
  },
  clients: {
    resource: "clients",
    key: "client_id",
    filters: ["client", "topic", "group"],
    sort: "producedRecordsPerSec",
    load: model.clients,
    columns: (c) => [
      { header: "CLIENT", cell: (r) => fmt.text(r.client_id || "(none)") },
      { header: "REQUESTS", cell: (r) => fmt.rate(r.requestsPerSec), align: right },
      {
        header: "SUCCESS",
        cell: (r) =>
          typeof r.successRate === "number" && r.successRate < 0.99 ? c.red(fmt.percent(r.successRate)) : fmt.percent(r.successRate),
        align: right,
      },
      { header: "LATENCY_P50", cell: (r) => fmt.ms(r.p50Ms), align: right },
      { header: "LATENCY_P95", cell: (r) => fmt.ms(r.p95Ms), align: right, wide: true },
      { header: "LATENCY_P99", cell: (r) => fmt.ms(r.p99Ms), align: right },
      { header: "PRODUCE", cell: (r) => fmt.rate(r.producedRecordsPerSec), align: right },
      { header: "PRODUCE_BYTES", cell: (r) => fmt.bytes(r.producedBytesPerSec, "/s"), align: right, wide: true },
      { header: "BATCHES", cell: (r) => fmt.rate(r.produceBatchesPerSec), align: right, wide: true },
      { header: "FETCH", cell: (r) => fmt.rate(r.fetchedRecordsPerSec), align: right },
      { header: "FETCH_BYTES", cell: (r) => fmt.bytes(r.fetchedBytesPerSec, "/s"), align: right, wide: true },
      { header: "GROUPS", cell: (r) => fmt.list(r.groups) },
      { header: "TOPICS", cell: (r) => fmt.list(r.topics) },
    ],
  },
  apis: {
    resource: "apis",
    key: "api",
    filters: ["api"],
    sort: "requestsPerSec",
    load: model.apis,
    columns: (c) => [
      { header: "API", cell: (r) => fmt.text(r.api) },
      {
        header: "SUCCESS",
        cell: (r) =>
          typeof r.successRate === "number" && r.successRate < 0.99 ? c.red(fmt.percent(r.successRate)) : fmt.percent(r.successRate),
        align: right,
      },
      { header: "RPS", cell: (r) => fmt.num(r.requestsPerSec), align: right },
      { header: "LATENCY_P50", cell: (r) => fmt.ms(r.p50Ms), align: right },
      { header: "LATENCY_P95", cell: (r) => fmt.ms(r.p95Ms), align: right },
      { header: "LATENCY_P99", cell: (r) => fmt.ms(r.p99Ms), align: right },
      { header: "READ_BYTES", cell: (r) => fmt.bytes(r.requestBytesPerSec, "/s"), align: right, wide: true },
      { header: "WRITE_BYTES", cell: (r) => fmt.bytes(r.responseBytesPerSec, "/s"), align: right, wide: true },
      { header: "ERRORS", cell: (r) => fmt.list(r.topErrors), wide: true },
    ],
  },
  brokers: {
    resource: "brokers",
    key: "broker",
    filters: ["topic"],
    sort: "partitionsLed",
    load: model.brokers,
    columns: () => [
      { header: "BROKER", cell: (r) => fmt.text(r.broker) },
      { header: "LEADS", cell: (r) => fmt.num(r.partitionsLed), align: right },
      { header: "TOPICS", cell: (r) => fmt.list(r.topics, 5) },
    ],
  },
};
