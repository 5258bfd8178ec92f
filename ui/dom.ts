// The only way the dashboard makes DOM: elements and text nodes. Values (client ids, topics,
// groups, principals) always become text, never HTML; there is no innerHTML anywhere in ui/.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v);
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

export interface Column<R> {
  header: string;
  cell: (r: R) => Child;
  num?: boolean;
  title?: string;
}

export function table<R>(rows: R[], cols: Column<R>[], empty = "nothing in this window"): HTMLElement {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { class: c.num ? "num" : undefined, title: c.title }, c.header)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...cols.map((c) => h("td", { class: c.num ? "num" : undefined }, c.cell(r)))))),
  );
}

export function card(title: string, ...children: Child[]): HTMLElement {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export function stat(label: string, value: string, cls?: string): HTMLElement {
  return h("div", { class: `stat ${cls ?? ""}` }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label));
}

export function badge(state: unknown): HTMLElement {
  const s = typeof state === "string" ? state : "-";
  return h("span", { class: `badge state-${s.toLowerCase()}` }, s);
}
