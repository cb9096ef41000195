/**
 * Renders Vega-Lite specifications to SVG (vega, headless) and PNG (resvg), without a browser.
 * resvg draws no text without a font: it loads the system's fonts, DejaVu Sans first
 * (Debian package fonts-dejavu-core, installed by scripts/setup.sh).
 */
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync } from 'node:fs';
import { writeAtomically } from '../fs/write-atomically.js';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const FONT_DIRS = ['/usr/share/fonts'];
/** PNGs are drawn at twice the SVG's size so that small labels stay legible. */
const PNG_ZOOM = 2;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string): Buffer {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: PNG_ZOOM },
    font: { loadSystemFonts: true, fontDirs: FONT_DIRS, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Writes `<dir>/<name>.svg` and `<dir>/<name>.png`; returns their paths. */
export async function writePlot(dir: string, name: string, spec: TopLevelSpec): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const svg = await renderSvg(spec);
  const svgPath = join(dir, `${name}.svg`);
  const pngPath = join(dir, `${name}.png`);
  writeAtomically(svgPath, svg);
  writeAtomically(pngPath, svgToPng(svg));
  return [svgPath, pngPath];
}
