// Time-series charts and sparklines with uPlot (small, fast, canvas). A chart keeps its uPlot
// while the set of lines stays the same, so a refresh only swaps the data.
import uPlot from "uplot";
import { h } from "./dom";

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
export const colour = (i: number) => PALETTE[i % PALETTE.length];

export interface Line {
  label: string;
  values: (number | null)[];
}

/** A moment on the time axis: the local time of day, to the second. */
const clock = (sec: number) => new Date(sec * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });

const axisColour = () => getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#888";
const gridColour = () => getComputedStyle(document.documentElement).getPropertyValue("--grid").trim() || "#8883";

export class TimeChart {
  readonly el: HTMLElement;
  private plot?: uPlot;
  private labels = "";
  private readonly body: HTMLElement;
  private readonly resize = new ResizeObserver(() => this.plot?.setSize(this.size()));

  constructor(
    readonly title: string,
    private readonly fmt: (v: number) => string,
    private readonly height = 180,
  ) {
    this.body = h("div", { class: "chart-body" });
    this.el = h("div", { class: "chart" }, h("h3", {}, title), this.body);
    this.resize.observe(this.body);
  }

  private size() {
    return { width: Math.max(200, this.body.clientWidth), height: this.height };
  }

  set(t: number[], lines: Line[]): void {
    const data: uPlot.AlignedData = [t.map((x) => x / 1000), ...lines.map((l) => l.values.map((v) => v ?? null))];
    // A new theme or a new set of lines draws a new chart; otherwise only the data changes.
    const labels = [document.documentElement.dataset.theme, ...lines.map((l) => l.label)].join("\u0000");
    if (this.plot && labels === this.labels) {
      this.plot.setData(data);
      return;
    }
    this.plot?.destroy();
    this.labels = labels;
    if (lines.length === 0) {
      this.body.replaceChildren(h("p", { class: "empty" }, "no data in this range"));
      this.plot = undefined;
      return;
    }
    this.body.replaceChildren();
    const axis = { stroke: axisColour(), grid: { stroke: gridColour(), width: 1 }, ticks: { stroke: gridColour(), width: 1 } };
    this.plot = new uPlot(
      {
        ...this.size(),
        series: [
          {},
          ...lines.map((l, i) => ({
            label: l.label,
            stroke: colour(i),
            width: 1.5,
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? "-" : this.fmt(v)),
          })),
        ],
        axes: [
          { ...axis, space: 70, values: (_u: uPlot, vals: number[]) => vals.map(clock) },
          { ...axis, size: 60, values: (_u: uPlot, vals: number[]) => vals.map((v) => this.fmt(v)) },
        ],
        scales: { y: { range: (_u: uPlot, min: number, max: number) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
        legend: { live: false },
      },
      data,
      this.body,
    );
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }
}

/** A tiny line without axes, for table cells. */
export function sparkline(values: (number | null)[], width = 110, height = 24): HTMLElement {
  const el = h("span", { class: "spark" });
  if (values.every((v) => v === null)) return el;
  const x = values.map((_, i) => i);
  new uPlot(
    {
      width,
      height,
      cursor: { show: false },
      legend: { show: false },
      select: { show: false, left: 0, top: 0, width: 0, height: 0 },
      axes: [{ show: false }, { show: false }],
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max : 1] } },
      series: [{}, { stroke: colour(0), width: 1.25, fill: "rgba(78,121,167,0.15)" }],
    },
    [x, values],
    el,
  );
  return el;
}
