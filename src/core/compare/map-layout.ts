/** The map's drawing decisions, apart from the canvas: where each point goes, its colour, which one is under the pointer. */

/** Scales rows × 2 projected points into a width × height box (y up), keeping `pad` pixels free at the edges. */
export function fitToBox(points: Float32Array, width: number, height: number, pad: number): Float32Array {
  const rows = points.length / 2;
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let r = 0; r < rows; r++) {
    minX = Math.min(minX, points[2 * r]);
    maxX = Math.max(maxX, points[2 * r]);
    minY = Math.min(minY, points[2 * r + 1]);
    maxY = Math.max(maxY, points[2 * r + 1]);
  }
  // All points on one spot (or a line): centre them instead of dividing by zero.
  const sx = maxX > minX ? (width - 2 * pad) / (maxX - minX) : 0;
  const sy = maxY > minY ? (height - 2 * pad) / (maxY - minY) : 0;
  const screen = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    screen[2 * r] = sx ? pad + (points[2 * r] - minX) * sx : width / 2;
    screen[2 * r + 1] = sy ? height - pad - (points[2 * r + 1] - minY) * sy : height / 2;
  }
  return screen;
}

export interface LegendEntry {
  source: string;
  colour: string;
  count: number;
}

/**
 * A colour per source file: the largest sources get the palette's colours in order, the rest
 * share `other` (and one legend line that counts them).
 */
export function coloursBySource(sources: string[], palette: string[], other: string): { colourOf: Map<string, string>; legend: LegendEntry[] } {
  const counts = new Map<string, number>();
  for (const s of sources) counts.set(s, (counts.get(s) ?? 0) + 1);
  const bySize = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const colourOf = new Map(bySize.map(([s], i) => [s, palette[i] ?? other]));
  const legend = bySize.slice(0, palette.length).map(([source, count]) => ({ source, colour: colourOf.get(source)!, count }));
  const rest = bySize.slice(palette.length);
  if (rest.length) legend.push({ source: `${rest.length} more file${rest.length === 1 ? '' : 's'}`, colour: other, count: rest.reduce((n, [, c]) => n + c, 0) });
  return { colourOf, legend };
}

/** The point nearest (x, y) within `radius` pixels, or null: a linear scan, ~1 ms for 100k points. */
export function nearestPoint(screen: Float32Array, x: number, y: number, radius: number): number | null {
  let best = -1;
  let bestD = radius * radius;
  for (let r = 0; r < screen.length / 2; r++) {
    const d = (screen[2 * r] - x) ** 2 + (screen[2 * r + 1] - y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = r;
    }
  }
  return best < 0 ? null : best;
}
