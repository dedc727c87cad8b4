/**
 * The exported page's HTML (site.ts writes it as index.html): layout, style and the SiteConfig
 * JSON; the behaviour is all in player.js (src/web/page/main.ts). No external resource.
 */
import { SITE_FILES, type SiteConfig } from './site-config.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** index.html for `site`. */
export function sitePage(site: SiteConfig): string {
  // `<` escaped so the JSON can never close its script element.
  const json = JSON.stringify(site).replace(/</g, '\\u003c');
  const title = `mario-rl: ${site.network} policy on ${site.trainedOn}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; background: #fafafa; color: #222; }
  h1 { font-size: 18px; margin: 0 0 8px; }
  main { display: flex; gap: 20px; flex-wrap: wrap; align-items: flex-start; }
  #side { flex: 1 1 300px; }
  #screen { width: 512px; height: 480px; image-rendering: pixelated; background: #000; border: 1px solid #888; }
  #side { min-width: 300px; }
  table { border-collapse: collapse; margin: 8px 0; }
  td, th { padding: 2px 8px; text-align: left; font-variant-numeric: tabular-nums; }
  .bar { display: inline-block; height: 10px; background: #3a7bd5; vertical-align: middle; }
  tr.chosen td { font-weight: bold; }
  #status { font-weight: bold; }
  #rom-picker { margin: 8px 0; padding: 8px; border: 1px dashed #888; }
  #rom-error { color: #b00; }
  kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 4px; background: #fff; }
  .hidden { display: none; }
</style>
</head>
<body data-status="loading" data-frames="0" data-episode-return="0">
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(site.network)} network, checkpoint at step ${site.globalStep}; inference by onnxruntime-web (WASM), emulation by jsnes.</p>
<div id="rom-picker" class="hidden">This policy plays a game whose ROM is not in this folder: choose your own ROM file
  <input id="rom-file" type="file" accept=".nes"> (it stays in your browser).
  <div id="rom-error"></div></div>
<main>
  <canvas id="screen" width="256" height="240"></canvas>
  <div id="side">
    <div>status: <span id="status">loading</span></div>
    <table>
      <tr><th>frame</th><td id="frames">0</td></tr>
      <tr><th>episode</th><td id="episode">1</td></tr>
      <tr><th>step</th><td id="step">0</td></tr>
      <tr><th>episode return</th><td id="return">0.00</td></tr>
      <tr><th>value estimate</th><td id="value">–</td></tr>
      <tr><th>control</th><td id="control">agent</td></tr>
      <tr><th>speed</th><td id="speed">1×</td></tr>
      <tr><th>emulation</th><td id="fps">–</td></tr>
    </table>
    <table id="actions"><tr><th>action</th><th>buttons</th><th>probability</th></tr></table>
    <p><kbd>Space</kbd> pause/resume, <kbd>N</kbd> one step while paused, <kbd>R</kbd> reset,
      <kbd>F</kbd> speed (1×, 2×, 4×, max), <kbd>K</kbd> agent/keyboard. Keyboard play: arrows,
      <kbd>Z</kbd> = B, <kbd>X</kbd> = A, <kbd>Enter</kbd> = START.</p>
  </div>
</main>
<script id="site-config" type="application/json">${json}</script>
<script type="module" src="${SITE_FILES.script}"></script>
</body>
</html>
`;
}
