/**
 * Renders a {@link RecordedEpisode} to an animated GIF by replaying it on a `Nes`: the start state
 * is loaded, every agent step's buttons are held for `frameSkip` frames, and every
 * `frameStride`-th frame is added to the GIF in full resolution (256 × 240, NES palette).
 *
 * After each step the replayed console is compared with the state the env saved; where the env
 * ran frames the replay did not (a game adapter fast-forwarding a transition), the replay loads
 * the env's state and goes on, so the GIF never drifts from what the agent did. `resyncs` counts
 * those jumps.
 */
import { bytesEqual } from '../bytes.js';
import { FRAME_HEIGHT, FRAME_WIDTH, Nes } from '../nes.js';
import { GIF_COLORS, GifEncoder } from '../util/gif.js';
import { expectInteger, expectOptions, rejectUnknownKeys } from '../validate.js';
import { type RecordedEpisode } from './trainer.js';

/** Options of {@link episodeToGif}. */
export interface EpisodeGifOptions {
  /** Emulator frames per GIF frame (1…60). Default: the episode's frame skip (one per agent step). */
  frameStride?: number;
  /** Extra frames holding the last image at the end (0…600). Default 30. */
  holdFrames?: number;
}

/** What {@link episodeToGif} returns. */
export interface EpisodeGif {
  /** The GIF file. */
  gif: Uint8Array;
  /** Frames in the GIF. */
  frames: number;
  /** Steps where the replay had to load the env's state to stay in sync. */
  resyncs: number;
}

/** Replays `episode` and encodes it as an animated GIF. */
export function episodeToGif(episode: RecordedEpisode, options: EpisodeGifOptions = {}): EpisodeGif {
  const o = expectOptions<EpisodeGifOptions>(options, 'episodeToGif options');
  rejectUnknownKeys(o, 'episodeToGif options', ['frameStride', 'holdFrames']);
  const stride = o.frameStride === undefined ? episode.frameSkip : expectInteger(o.frameStride, 'frameStride', 1, 60);
  const hold = o.holdFrames === undefined ? 30 : expectInteger(o.holdFrames, 'holdFrames', 0, 600);
  // GIF delays are hundredths of a second; the NES runs 60 frames/s.
  const enc = new GifEncoder({ width: FRAME_WIDTH, height: FRAME_HEIGHT, delayCs: Math.max(2, Math.round((stride * 100) / 60)) });
  const nes = new Nes(episode.rom);
  const palette = new Uint8Array(GIF_COLORS * 3);
  const indices = new Uint8Array(FRAME_WIDTH * FRAME_HEIGHT);
  const addFrame = (delayCs?: number) => {
    const frame = nes.frame;
    const rgb = nes.toRgb();
    for (let p = 0; p < frame.length; p++) {
      const c = frame[p]! & 0x3f;
      indices[p] = c;
      palette[c * 3] = rgb[p * 3]!;
      palette[c * 3 + 1] = rgb[p * 3 + 1]!;
      palette[c * 3 + 2] = rgb[p * 3 + 2]!;
    }
    enc.add({ indices, palette, ...(delayCs === undefined ? {} : { delayCs }) });
  };
  let resyncs = 0;
  try {
    nes.loadState(episode.startState);
    let frameNo = 0;
    for (let k = 0; k < episode.buttons.length; k++) {
      for (let f = 0; f < episode.frameSkip; f++) {
        nes.stepFrame(episode.buttons[k]!);
        if (++frameNo % stride === 0) addFrame();
      }
      const expected = episode.states[k];
      if (expected !== undefined && !bytesEqual(nes.saveState(), expected)) {
        nes.loadState(expected);
        resyncs++;
      }
    }
    if (enc.frameCount === 0 || hold > 0) addFrame(hold > 0 ? Math.min(65535, Math.round((hold * 100) / 60)) : undefined);
    return { gif: enc.finish(), frames: enc.frameCount, resyncs };
  } finally {
    nes.close();
  }
}
