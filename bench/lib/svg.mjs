// Small, dependency-free SVG charts for the benchmark report: horizontal bars and lines with axes. Plain
// strings in, a self-contained <svg> out (readable on GitHub and in any browser).

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** bars: [{ label, value, highlight? }] — one horizontal bar each, value printed at its end. */
export function barChart({ title, unit, bars, note = '' }) {
  const width = 640;
  const left = 150;
  const right = 90;
  const rowH = 30;
  const top = 40;
  const height = top + bars.length * rowH + (note ? 36 : 16);
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const scale = (width - left - right) / max;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, b.value * scale);
    return (
      `<text x="${left - 8}" y="${y + 19}" text-anchor="end" font-size="13">${esc(b.label)}</text>` +
      `<rect x="${left}" y="${y + 5}" width="${w.toFixed(1)}" height="20" rx="3" fill="${b.highlight ? COLORS[0] : '#94a3b8'}"/>` +
      `<text x="${left + w + 6}" y="${y + 19}" font-size="12">${fmt(b.value)} ${esc(unit)}</text>`
    );
  });
  return svg(
    width,
    height,
    title,
    rows.join('') +
      (note ? `<text x="${left}" y="${height - 12}" font-size="11" fill="#475569">${esc(note)}</text>` : ''),
  );
}

/** series: [{ name, points: [[x, y], …] }] on linear axes starting at 0. */
export function lineChart({ title, xLabel, yLabel, series }) {
  const width = 640;
  const height = 340;
  const m = { l: 60, r: 130, t: 40, b: 46 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(...xs, 1);
  const yMax = niceMax(Math.max(...ys, 1e-9));
  const X = (x) => m.l + (x / xMax) * (width - m.l - m.r);
  const Y = (y) => height - m.b - (y / yMax) * (height - m.t - m.b);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = Y(f * yMax);
    return `<line x1="${m.l}" x2="${width - m.r}" y1="${y}" y2="${y}" stroke="#e2e8f0"/><text x="${m.l - 6}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(f * yMax)}</text>`;
  });
  const xticks = [...new Set(xs)]
    .sort((a, b) => a - b)
    .map((x) => `<text x="${X(x)}" y="${height - m.b + 16}" text-anchor="middle" font-size="11">${fmt(x)}</text>`);
  const lines = series.map((s, i) => {
    const c = COLORS[i % COLORS.length];
    const pts = s.points.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ');
    const dots = s.points
      .map(([x, y]) => `<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"/>`)
      .join('');
    const legend = `<rect x="${width - m.r + 12}" y="${m.t + i * 20}" width="12" height="12" fill="${c}"/><text x="${width - m.r + 30}" y="${m.t + i * 20 + 11}" font-size="12">${esc(s.name)}</text>`;
    return `<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts}"/>${dots}${legend}`;
  });
  const axes =
    `<text x="${(m.l + width - m.r) / 2}" y="${height - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>` +
    `<text x="14" y="${(m.t + height - m.b) / 2}" transform="rotate(-90 14 ${(m.t + height - m.b) / 2})" text-anchor="middle" font-size="12">${esc(yLabel)}</text>`;
  return svg(width, height, title, grid.join('') + xticks.join('') + lines.join('') + axes);
}

function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((k) => k * p).find((n) => n >= v) ?? v;
}

function svg(width, height, title, body) {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="16" y="24" font-size="15" font-weight="600">${esc(title)}</text>${body}</svg>\n`
  );
}
