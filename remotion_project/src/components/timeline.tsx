import React from 'react';
import {Easing, cancelRender, continueRender, delayRender, interpolate, useCurrentFrame} from 'remotion';

export type Layer = 'all' | 'content' | 'backdrop';

// What the render's current frame shows. In keyframe mode, render frame i shows timeline frame
// frames[i] (only frames where something moves are rendered; ffmpeg holds the rest) in layer
// layers[i]: 'backdrop' draws only the still, costly full-frame parts (scrims, gradients), once
// per scene; 'content' draws everything else. Otherwise the timeline plays straight through.
export const useRenderPoint = (frames: number[] | null, layers: Layer[] | null): {t: number; layer: Layer} => {
  const frame = useCurrentFrame();
  if (!frames || frames.length === 0) {
    return {t: frame, layer: 'all'};
  }
  const index = Math.min(frame, frames.length - 1);
  return {t: frames[index], layer: layers ? layers[index] : 'all'};
};

// The items of a timeline showing at frame t, each with its own local frame.
export const active = <T extends {from: number; durationInFrames: number}>(items: T[], t: number): Array<{item: T; local: number}> =>
  items.filter((item) => t >= item.from && t < item.from + item.durationInFrames).map((item) => ({item, local: t - item.from}));

// 0 -> 1 over [delay, delay + enterFrames) of an element's local time, then exactly 1: after
// its entrance nothing moves, which is what lets ffmpeg hold the last rendered frame.
export const entrance = (local: number, enterFrames: number, delay = 0, easing = Easing.out(Easing.cubic)): number =>
  interpolate(local, [delay, delay + enterFrames], [0, 1], {
    extrapolateLeft: 'clamp',
    extrapolateRight: 'clamp',
    easing,
  });

export const withAlpha = (hex: string, alpha: number): string => {
  const value = hex.replace('#', '');
  const full = value.length === 3 ? value.split('').map((c) => c + c).join('') : value;
  const r = parseInt(full.slice(0, 2), 16);
  const g = parseInt(full.slice(2, 4), 16);
  const b = parseInt(full.slice(4, 6), 16);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
};

// 'Brand Font' exists only when a brand kit's font was loaded (useBrandFont); otherwise the
// browser falls through to DejaVu Sans.
export const FONT = "'Brand Font', 'DejaVu Sans', sans-serif";

// Loads a brand kit's font before any frame is taken: the render waits on delayRender.
export const useBrandFont = (font: {family: string; url: string} | null | undefined): void => {
  const [handle] = React.useState(() => (font ? delayRender(`loading the brand font ${font.family}`) : null));
  React.useEffect(() => {
    if (!font || handle === null) {
      return;
    }
    const face = new FontFace('Brand Font', `url(${font.url})`);
    face
      .load()
      .then((loaded) => {
        // TypeScript's DOM types lack FontFaceSet.add; Chromium has it.
        (document.fonts as unknown as {add: (face: FontFace) => void}).add(loaded);
        continueRender(handle);
      })
      .catch((error: unknown) => cancelRender(error instanceof Error ? error : new Error(String(error))));
  }, [font, handle]);
};
// Titles break into even lines (no word alone on the last line) and never split a word.
// React's style types do not know text-wrap yet; Chromium has supported it since 114.
export const BALANCED = {textWrap: 'balance', overflowWrap: 'normal', wordBreak: 'keep-all'} as React.CSSProperties;
