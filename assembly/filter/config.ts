// Plugin configuration: a flat JSON object, e.g. {"workload":"orders","max_label_values":200}.
// Only string and number values at the top level are read; anything else is ignored.

export class Config {
  /** Names who is talking (a workload, a service); added as a label to every series. */
  workload: string = "";
  namespace: string = "";
  /** Distinct values kept per client-chosen label (topic, group, client id). */
  maxLabelValues: i32 = 200;
}

export function parseConfig(text: string): Config {
  const cfg = new Config();
  let i = 0;
  const n = text.length;
  while (i < n) {
    const k0 = text.indexOf('"', i);
    if (k0 < 0) break;
    const k1 = text.indexOf('"', k0 + 1);
    if (k1 < 0) break;
    const key = text.substring(k0 + 1, k1);
    let j = k1 + 1;
    while (j < n && (text.charCodeAt(j) == 0x20 || text.charCodeAt(j) == 0x3a)) j++;
    let value = "";
    if (j < n && text.charCodeAt(j) == 0x22) {
      const v1 = text.indexOf('"', j + 1);
      if (v1 < 0) break;
      value = text.substring(j + 1, v1);
      i = v1 + 1;
    } else {
      let e = j;
      while (e < n && text.charCodeAt(e) != 0x2c && text.charCodeAt(e) != 0x7d) e++;
      value = text.substring(j, e).trim();
      i = e;
    }
    if (key == "workload") cfg.workload = value;
    else if (key == "namespace") cfg.namespace = value;
    else if (key == "max_label_values") {
      const v = I32.parseInt(value);
      if (v > 0) cfg.maxLabelValues = v;
    }
  }
  return cfg;
}
