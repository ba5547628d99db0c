/**
 * The metric names a PromQL expression reads, by a small tokenizer: enough for the expressions of the
 * dashboard and the alert rules (ops/), not a PromQL parser. Grafana's variables ($connection,
 * ${var}, $__rate_interval) are taken out first; strings, label matchers, ranges and grouping label
 * lists are not names; a name followed by `(` is a function; keywords and numbers are skipped.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'atan2', 'inf', 'nan']);

export function metricNamesIn(expression: string): string[] {
  const text = expression
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = text[match.index - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue; // a number's exponent or a duration's unit (1e3, offset 5m)
    if (
      text
        .slice(match.index + match[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue; // a function or aggregation
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The metric a Grafana variable's query lists values from: `label_values(<selector>, <label>)`, `query_result(<expr>)`, or a plain expression. */
export function metricNamesInVariableQuery(query: string): string[] {
  const labelValues = /^\s*label_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s.exec(query);
  if (labelValues) return metricNamesIn(labelValues[1]!);
  const queryResult = /^\s*query_result\(\s*(.*)\s*\)\s*$/s.exec(query);
  return metricNamesIn(queryResult ? queryResult[1]! : query);
}

/** The metric names a Prometheus scrape (text exposition) shows: each series' name and each `# TYPE` family. */
export function exportedMetricNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const line of scrape.split('\n')) {
    const family = /^# TYPE ([A-Za-z_:][A-Za-z0-9_:]*) /.exec(line);
    if (family) names.add(family[1]!);
    const series = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{| )/.exec(line);
    if (series) names.add(series[1]!);
  }
  return names;
}
