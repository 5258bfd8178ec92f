// The kscope dashboard: a header (pages, time window, live refresh, theme) and one page at a
// time, chosen by the URL's hash (route.ts). Styles: ours and uPlot's, bundled by esbuild.
import "uplot/dist/uPlot.min.css";
import "./style.css";
import { HttpError, ProxyInfo, get } from "./api";
import { fill, h } from "./dom";
import { Page, PageFactory } from "./page";
import { WINDOWS, current, link } from "./route";
import { overview } from "./pages/overview";
import { topic, topics } from "./pages/topics";
import { group, groups } from "./pages/groups";
import { client, clients } from "./pages/clients";
import { workload } from "./pages/workload";
import { tap, top } from "./pages/tap";

const PAGES: Record<string, { title: string; list: PageFactory; detail?: PageFactory; under?: string }> = {
  overview: { title: "Overview", list: overview },
  // cytoscape is most of the bundle: its chunk loads only when the topology page opens.
  topology: { title: "Topology", list: lazy(() => import("./pages/topology").then((m) => m.topology)) },
  topics: { title: "Topics", list: topics, detail: topic },
  groups: { title: "Groups", list: groups, detail: group },
  clients: { title: "Clients", list: clients, detail: client },
  workloads: { title: "Workloads", list: clients, detail: workload, under: "clients" },
  top: { title: "Top", list: top },
  tap: { title: "Tap", list: tap },
};

/** A page whose module loads on its first refresh (its element is in the document by then). */
function lazy(load: () => Promise<PageFactory>): PageFactory {
  return (r) => {
    const el = h("div", { class: "page" });
    let inner: Page | undefined,
      gone = false;
    return {
      el,
      async refresh() {
        if (!inner) {
          const factory = await load();
          if (gone) return;
          inner = factory(r);
          el.replaceChildren(inner.el);
        }
        await inner.refresh();
      },
      destroy() {
        gone = true;
        inner?.destroy?.();
      },
    };
  };
}

const REFRESH_MS = 5000;
let page: Page | undefined;
let timer: number | undefined;

const nav = h("nav");
const windowSel = h(
  "select",
  {
    name: "window",
    title: "time window of rates",
    onchange: () => {
      location.hash = link(current().page, current().name, { w: windowSel.value });
    },
  },
  ...Object.keys(WINDOWS).map((w) => h("option", { value: w }, w)),
);
const live = h("input", {
  type: "checkbox",
  name: "live",
  onchange: () => {
    location.hash = link(current().page, current().name, { live: live.checked ? "" : "0" });
  },
});
const theme = h(
  "button",
  {
    type: "button",
    class: "theme",
    title: "light or dark",
    onclick: () => setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark"),
  },
  "◐",
);
const info = h("span", { class: "info muted" });
const banner = h("div", { class: "banner", hidden: true });
const main = h("main");

function setTheme(t: string): void {
  document.documentElement.dataset.theme = t;
  localStorage.setItem("kscope.theme", t);
  void page?.refresh().catch(() => undefined); // charts and graph pick up the theme's colours
}

function showError(e: unknown): void {
  banner.hidden = false;
  fill(
    banner,
    e instanceof HttpError && e.status === 401
      ? "This admin endpoint needs a token: open /?token=<token> once (the proxy's --admin-token)."
      : `Cannot load data: ${(e as Error).message}`,
  );
}

async function refresh(): Promise<void> {
  if (!page) return;
  try {
    await page.refresh();
    banner.hidden = true;
    document.body.dataset.loaded = String(Date.now());
  } catch (e) {
    showError(e);
  }
}

function mount(): void {
  const r = current();
  const spec = PAGES[r.page] ?? PAGES.overview;
  page?.destroy?.();
  clearInterval(timer);
  page = (r.name !== undefined && spec.detail ? spec.detail : spec.list)(r);
  fill(main, page.el);
  document.title = `kscope · ${spec.title}${r.name ? ` · ${r.name}` : ""}`;
  const active = spec.under ?? r.page;
  fill(
    nav,
    ...Object.entries(PAGES)
      .filter(([, p]) => !p.under)
      .map(([k, p]) => h("a", { href: link(k), class: k === active ? "active" : undefined }, p.title)),
  );
  windowSel.value = r.params.get("w") ?? "1m";
  live.checked = r.params.get("live") !== "0";
  void refresh();
  if (live.checked) timer = window.setInterval(() => void refresh(), REFRESH_MS);
}

document.documentElement.dataset.theme =
  localStorage.getItem("kscope.theme") ?? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
document.body.append(
  h(
    "header",
    {},
    h("a", { href: "#/overview", class: "brand" }, "kscope"),
    nav,
    h("div", { class: "controls" }, h("label", {}, "window ", windowSel), h("label", {}, live, " live"), theme, info),
  ),
  banner,
  main,
);
window.addEventListener("hashchange", mount);
mount();
get<ProxyInfo | { source: string }>("/api/info").then(
  (i) => fill(info, "listen" in i ? `${i.listen} → ${i.upstream}` : i.source),
  () => undefined,
);
