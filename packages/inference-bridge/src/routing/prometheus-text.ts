/**
 * A reader for the Prometheus text exposition format, limited to what routing needs: the value of each sample,
 * summed per metric name (a vLLM server with several engines or models exposes one sample per label set, and a
 * replica's load is their sum). Histograms and summaries come through as their `_bucket`/`_sum`/`_count`
 * samples and are simply not asked for.
 *
 * Hand-written rather than a dependency: the npm parsers for this format are unmaintained, and the grammar
 * needed here (comments, `name{labels} value [timestamp]`, quoted label values with escapes) is small.
 */

/** Thrown for a line that is not a comment, a blank, or a sample. */
export class PrometheusParseError extends Error {
  override readonly name = 'PrometheusParseError';
}

/** Longest exposition accepted (vLLM's is ~50 KiB; a misconfigured URL could serve anything). */
export const MAX_EXPOSITION_CHARS = 4 * 1024 * 1024;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/** The samples of one metric name: their sum and how many there were (for a mean of per-engine gauges). */
export interface SampleSum {
  sum: number;
  count: number;
}

/**
 * Sums samples per metric name. `wanted`, when given, skips every other name (and their parse cost).
 * Throws {@link PrometheusParseError} on a malformed sample line.
 */
export function sumSamples(text: string, wanted?: ReadonlySet<string>): Map<string, SampleSum> {
  if (text.length > MAX_EXPOSITION_CHARS)
    throw new PrometheusParseError(`exposition larger than ${MAX_EXPOSITION_CHARS} characters`);
  const sums = new Map<string, SampleSum>();
  let lineNo = 0;
  for (const raw of text.split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new PrometheusParseError(`line ${lineNo}: no metric name`);
    if (wanted && !wanted.has(name)) continue;
    let rest = line.slice(name.length);
    if (rest.startsWith('{')) rest = rest.slice(labelBlockEnd(rest, lineNo) + 1);
    const [valueText] = rest.trim().split(/\s+/);
    const value = parseValue(valueText ?? '', lineNo);
    const entry = sums.get(name);
    if (entry) {
      entry.sum += value;
      entry.count++;
    } else sums.set(name, { sum: value, count: 1 });
  }
  return sums;
}

/** Index of the `}` closing the label block that starts at 0, honouring quoted values with `\"` escapes. */
function labelBlockEnd(s: string, lineNo: number): number {
  let quoted = false;
  for (let i = 1; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return i;
  }
  throw new PrometheusParseError(`line ${lineNo}: unterminated label block`);
}

function parseValue(text: string, lineNo: number): number {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  const value = Number(text);
  if (text === '' || Number.isNaN(value))
    throw new PrometheusParseError(`line ${lineNo}: "${text}" is not a sample value`);
  return value;
}
