/**
 * The exported page's script (bundled into player.js): reads the SiteConfig from index.html,
 * loads the ROM and the policy, then plays: each agent step asks the policy for the greedy action
 * of the current observation and steps the page env with it; the screen is drawn at the display's
 * refresh rate, and emulation is paced to 60 frames per second times the speed (1×, 2×, 4×, or
 * as fast as it goes: `max`).
 *
 * For tests and tooling the page keeps its state on `document.body.dataset`: `status`
 * ('loading', 'playing', 'paused', 'error: …', 'waiting for a ROM file'), `frames` (frames emulated), `episodeReturn`,
 * `episode`, `step`, `action`, `speed` and `fps` (emulated frames per second over the last
 * second), and while a game's ROM is asked for, 'waiting for a ROM file'; `window.marioRl.trace` holds the first TRACE_STEPS agent steps (observation, action,
 * value) of the page's life. Query parameters: `?speed=1|2|4|max`, `?paused=1`.
 */
import { SITE_CONFIG_VERSION, type SiteConfig } from '../site-config.js';
import { NES_PALETTE_RGB } from '../../env/js/palette.js';
import { Agent, fetchOk, type Decision } from './agent.js';
import { PageEnv, siteGame } from './page-env.js';

/** Agent steps the trace keeps (for the parity test: what the page saw and chose). */
export const TRACE_STEPS = 1000;
const SPEEDS = [1, 2, 4, Infinity] as const;
const FPS = 60;
/** Keyboard play: key → joypad bit (A=0x01, B=0x02, SELECT=0x04, START=0x08, UP, DOWN, LEFT, RIGHT). */
const KEY_BUTTONS: Record<string, number> = { x: 0x01, z: 0x02, Shift: 0x04, Enter: 0x08, ArrowUp: 0x10, ArrowDown: 0x20, ArrowLeft: 0x40, ArrowRight: 0x80 };

interface TraceRow {
  obs: Uint8Array;
  action: number;
  value: number;
  reward: number;
  done: boolean;
}

declare global {
  interface Window {
    marioRl?: { site: SiteConfig; trace: TraceRow[]; episodeReturns: number[] };
  }
}

const $ = (id: string) => document.getElementById(id)!;
/** Our NES palette as RGBA words (little-endian byte order: R, G, B, A), by palette index. */
const RGBA = Uint32Array.from(
  { length: 64 },
  (_, i) => (0xff << 24) | (NES_PALETTE_RGB[3 * i + 2]! << 16) | (NES_PALETTE_RGB[3 * i + 1]! << 8) | NES_PALETTE_RGB[3 * i]!,
);
const data = document.body.dataset;

/** Set once something failed: the status stays 'error: …'. */
let failed = false;

function setStatus(status: string): void {
  if (failed && !status.startsWith('error')) return;
  data.status = status;
  $('status').textContent = status;
}

function readSite(): SiteConfig {
  const site = JSON.parse($('site-config').textContent ?? '') as SiteConfig;
  if (site.version !== SITE_CONFIG_VERSION)
    throw new Error(`Expected site config version ${SITE_CONFIG_VERSION} for index.html but received ${site.version}: re-export with this mario-rl`);
  return site;
}

const buttonNames = (b: number) => ['A', 'B', 'SELECT', 'START', 'UP', 'DOWN', 'LEFT', 'RIGHT'].filter((_, bit) => b & (1 << bit)).join('+') || 'NOOP';

/**
 * [async] The user's own ROM for a game whose image the site does not hold (smb1): the file
 * picker, checked by the game as the env checks it; a wrong file says why and asks again.
 */
function askForRom(site: SiteConfig): Promise<Uint8Array> {
  $('rom-picker').classList.remove('hidden');
  setStatus('waiting for a ROM file');
  const input = $('rom-file') as HTMLInputElement;
  return new Promise((resolve) => {
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      if (!file) return;
      const rom = new Uint8Array(await file.arrayBuffer());
      try {
        siteGame(site, rom);
      } catch (err) {
        $('rom-error').textContent = (err as Error).message;
        setStatus(`waiting for a ROM file: ${(err as Error).message}`);
        return;
      }
      $('rom-picker').classList.add('hidden');
      setStatus('loading');
      resolve(rom);
    });
  });
}

async function start(): Promise<void> {
  const site = readSite();
  const base = document.baseURI;
  const params = new URLSearchParams(location.search);
  const agentLoading = Agent.load(site, base);
  const rom = site.rom ? new Uint8Array(await (await fetchOk(new URL(site.rom, base).href)).arrayBuffer()) : await askForRom(site);
  const [agent, env] = [await agentLoading, new PageEnv(site, rom)];
  const trace: TraceRow[] = [];
  const episodeReturns: number[] = [];
  window.marioRl = { site, trace, episodeReturns };

  // Action table.
  const rows = Array.from({ length: env.game.numActions }, (_, a) => env.game.actionButtons(a)).map((b, a) => {
    const tr = document.createElement('tr');
    tr.innerHTML = `<td>${a}</td><td>${buttonNames(b)}</td><td><span class="bar"></span> <span class="p"></span></td>`;
    $('actions').appendChild(tr);
    return { tr, bar: tr.querySelector<HTMLElement>('.bar')!, p: tr.querySelector<HTMLElement>('.p')! };
  });

  let speedIndex = Math.max(0, ['1', '2', '4', 'max'].indexOf(params.get('speed') ?? '1'));
  let paused = params.get('paused') === '1';
  let stepOnce = false;
  let resetAsked = false;
  let keyboard = false;
  let held = 0;
  let decision: Decision | undefined;
  let pace = { time: performance.now(), frames: 0 };
  const repace = () => (pace = { time: performance.now(), frames: env.frames });

  env.reset();
  const keys = (e: KeyboardEvent, down: boolean) => {
    const bit = KEY_BUTTONS[e.key.length === 1 ? e.key.toLowerCase() : e.key];
    if (bit !== undefined) {
      held = down ? held | bit : held & ~bit;
      if (keyboard) e.preventDefault();
    }
    if (!down) return;
    if (e.key === ' ') {
      paused = !paused;
      repace();
      e.preventDefault();
    } else if (e.key === 'n' || e.key === 'N') stepOnce = paused;
    else if (e.key === 'r' || e.key === 'R') resetAsked = true;
    else if (e.key === 'f' || e.key === 'F') {
      speedIndex = (speedIndex + 1) % SPEEDS.length;
      repace();
    } else if (e.key === 'k' || e.key === 'K') keyboard = !keyboard;
  };
  window.addEventListener('keydown', (e) => keys(e, true));
  window.addEventListener('keyup', (e) => keys(e, false));

  // The screen and the numbers, once per display frame.
  const canvas = $('screen') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(256, 240);
  const pixels = new Uint32Array(image.data.buffer);
  const fpsWindow: { time: number; frames: number }[] = [];
  const draw = () => {
    const screen = env.screen;
    for (let i = 0; i < pixels.length; i++) pixels[i] = RGBA[screen[i]! & 63]!;
    ctx.putImageData(image, 0, 0);
    const now = performance.now();
    fpsWindow.push({ time: now, frames: env.frames });
    while (fpsWindow.length > 2 && now - fpsWindow[0]!.time > 1000) fpsWindow.shift();
    const span = (now - fpsWindow[0]!.time) / 1000;
    const fps = span > 0.25 ? (env.frames - fpsWindow[0]!.frames) / span : 0;
    data.frames = String(env.frames);
    data.episodeReturn = env.episodeReturn.toFixed(2);
    data.episode = String(env.episodes);
    data.step = String(env.episodeSteps);
    data.speed = speedIndex === 3 ? 'max' : String(SPEEDS[speedIndex]);
    data.fps = fps.toFixed(1);
    data.control = keyboard ? 'keyboard' : 'agent';
    $('frames').textContent = String(env.frames);
    $('episode').textContent = String(env.episodes);
    $('step').textContent = String(env.episodeSteps);
    $('return').textContent = env.episodeReturn.toFixed(2);
    $('control').textContent = keyboard ? 'keyboard' : 'agent';
    $('speed').textContent = speedIndex === 3 ? 'max' : `${SPEEDS[speedIndex]}×`;
    $('fps').textContent = `${fps.toFixed(1)} frames/s`;
    if (decision) {
      $('value').textContent = decision.value.toFixed(3);
      data.action = String(decision.action);
      rows.forEach((r, a) => {
        r.bar.style.width = `${Math.round(decision!.probs[a]! * 120)}px`;
        r.p.textContent = decision!.probs[a]!.toFixed(3);
        r.tr.className = a === decision!.action ? 'chosen' : '';
      });
    }
    setStatus(paused ? 'paused' : 'playing');
    requestAnimationFrame(draw);
  };

  // The game: one agent step at a time, paced to FPS × speed; yields to the browser every few ms.
  const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
  const channel = new MessageChannel();
  const yieldNow = () =>
    new Promise<void>((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(0);
    });
  requestAnimationFrame(draw);
  let sliceStart = performance.now();
  for (;;) {
    if (resetAsked) {
      // Here, between steps, not in the key handler: a step may be waiting for the policy.
      resetAsked = false;
      env.reset();
      decision = undefined;
    }
    if (paused && !stepOnce) {
      await nextFrame();
      continue;
    }
    const speed = SPEEDS[speedIndex]!;
    if (!paused && Number.isFinite(speed) && env.frames - pace.frames > ((performance.now() - pace.time) / 1000) * FPS * speed) {
      await nextFrame();
      sliceStart = performance.now();
      continue;
    }
    stepOnce = false;
    const obs = env.obs.slice();
    decision = await agent.act(obs);
    const result = keyboard ? env.stepButtons(held) : env.step(decision.action);
    const done = result.terminated || result.truncated;
    if (trace.length < TRACE_STEPS) trace.push({ obs, action: decision.action, value: decision.value, reward: result.reward, done });
    if (done) {
      episodeReturns.push(env.episodeReturn);
      env.reset();
    }
    if (performance.now() - sliceStart > 12) {
      await yieldNow();
      sliceStart = performance.now();
    }
  }
}

start().catch((err: unknown) => {
  failed = true;
  setStatus(`error: ${(err as Error).message ?? String(err)}`);
  console.error(err);
});
