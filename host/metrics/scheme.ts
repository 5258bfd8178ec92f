// The label scheme shared with the filter and with Envoy's stats_tags:
//   name;label=.=value;.;;label2=.=value2;.;   →   name{label="value",label2="value2"}
// Each segment starts with ";" and ends with ";.;", so segments never share a character.

export type Labels = Record<string, string>;

const SEGMENT = /;([a-zA-Z_][a-zA-Z0-9_]*)=\.=([^]*?);\.;/g;

export function parseName(encoded: string): { name: string; labels: Labels } {
  const cut = encoded.indexOf(";");
  if (cut < 0) return { name: encoded, labels: {} };
  const labels: Labels = {};
  for (const m of encoded.slice(cut).matchAll(SEGMENT)) labels[m[1]] = m[2];
  return { name: encoded.slice(0, cut), labels };
}

/** Escapes a label value for the Prometheus text format. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function renderLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(labels[k])}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}
