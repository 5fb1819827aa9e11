import React from 'react';
import {AbsoluteFill, Easing, useVideoConfig} from 'remotion';
import {BALANCED, FONT, active, entrance, useBrandFont, useRenderPoint, withAlpha} from './components/timeline';
import type {Layer} from './components/timeline';
import type {OverlayProps, Palette} from './schema';

// The animations stage: lower thirds, callouts and the end card, on transparent space, laid
// over the visuals by ffmpeg. Captions are timed to the real voice and added at render.
export const Overlays: React.FC<OverlayProps> = ({lowerThirds, callouts, endCard, palette, brandName, enterFrames, calloutDelayFrames, frames, layers, font}) => {
  useBrandFont(font);
  const {t, layer} = useRenderPoint(frames, layers);
  const content = layer !== 'backdrop';
  return (
    <AbsoluteFill style={{backgroundColor: 'transparent'}}>
      {!content ? null : active(lowerThirds, t).map(({item, local}) => (
        <LowerThird key={`lt-${item.from}`} title={item.title} subtitle={item.subtitle} local={local} palette={palette} enterFrames={enterFrames} />
      ))}
      {!content ? null : active(callouts, t).map(({item, local}) => (
        <Callout key={`co-${item.from}`} text={item.text} local={local} palette={palette} enterFrames={enterFrames} delay={calloutDelayFrames} />
      ))}
      {endCard
        ? active([endCard], t).map(({item, local}) => (
            <EndCard key="end" {...item} local={local} layer={layer} brandName={brandName} palette={palette} enterFrames={enterFrames} />
          ))
        : null}
    </AbsoluteFill>
  );
};

const LowerThird: React.FC<{title: string; subtitle: string; local: number; palette: Palette; enterFrames: number}> = ({title, subtitle, local, palette, enterFrames}) => {
  const {width, height} = useVideoConfig();
  const unit = Math.min(width, height) / 100;
  const slide = entrance(local, enterFrames);
  const text = entrance(local, Math.max(4, Math.round(enterFrames * 0.6)), Math.round(enterFrames * 0.4));
  return (
    // Above the band where the render stage puts the captions.
    <AbsoluteFill style={{justifyContent: 'flex-end', padding: `0 0 ${unit * 22}px ${unit * 6}px`}}>
      <div style={{display: 'flex', transform: `translateX(${(slide - 1) * width * 0.5}px)`}}>
        <div style={{width: unit * 1.2, background: palette.accent}} />
        <div style={{background: withAlpha(palette.background, 0.9), padding: `${unit * 1.6}px ${unit * 3}px`}}>
          <div style={{...BALANCED, fontFamily: FONT, fontWeight: 700, fontSize: unit * 3.6, color: palette.text, opacity: text}}>{title}</div>
          <div style={{fontFamily: FONT, fontSize: unit * 2.6, color: palette.muted, opacity: text}}>{subtitle}</div>
        </div>
      </div>
    </AbsoluteFill>
  );
};

const Callout: React.FC<{text: string; local: number; palette: Palette; enterFrames: number; delay: number}> = ({text, local, palette, enterFrames, delay}) => {
  const {width, height} = useVideoConfig();
  const unit = Math.min(width, height) / 100;
  const pop = entrance(local, enterFrames, delay, Easing.out(Easing.back(1.8)));
  return (
    <AbsoluteFill style={{alignItems: 'flex-end', padding: `${unit * 7}px ${unit * 6}px`}}>
      <div
        style={{
          transform: `scale(${pop})`,
          transformOrigin: 'top right',
          background: palette.accent,
          color: palette.background,
          fontFamily: FONT,
          fontWeight: 700,
          fontSize: unit * 3.4,
          padding: `${unit * 1.6}px ${unit * 3}px`,
          borderRadius: unit * 5,
          maxWidth: width * 0.36,
          textAlign: 'center',
        }}
      >
        {text}
      </div>
    </AbsoluteFill>
  );
};

const EndCard: React.FC<{headline: string; cta: string; disclaimer: string; local: number; layer: Layer; brandName: string; palette: Palette; enterFrames: number}> = ({
  headline,
  local,
  layer,
  cta,
  disclaimer,
  brandName,
  palette,
  enterFrames,
}) => {
  const {width, height} = useVideoConfig();
  const unit = Math.min(width, height) / 100;
  const enter = entrance(local, enterFrames);
  const late = entrance(local, Math.max(4, Math.round(enterFrames * 0.6)), Math.round(enterFrames * 0.4));
  // The radial gradient is the backdrop (drawn once); the words are the content.
  const backdrop = <AbsoluteFill style={{background: `radial-gradient(circle at 50% 40%, ${palette.primary} 0%, ${palette.background} 70%)`}} />;
  if (layer === 'backdrop') {
    return backdrop;
  }
  return (
    <AbsoluteFill style={{justifyContent: 'center', alignItems: 'center', textAlign: 'center'}}>
      {layer === 'all' ? backdrop : null}
      <div style={{fontFamily: FONT, fontWeight: 700, fontSize: unit * 11, color: palette.text, transform: `scale(${0.9 + 0.1 * enter})`}}>
        {brandName}
      </div>
      <div style={{...BALANCED, fontFamily: FONT, fontSize: unit * 4.2, color: palette.text, marginTop: unit * 2, opacity: late}}>{headline}</div>
      <div
        style={{
          marginTop: unit * 4,
          padding: `${unit * 1.8}px ${unit * 5}px`,
          borderRadius: unit * 6,
          border: `${unit * 0.4}px solid ${palette.accent}`,
          color: palette.accent,
          fontFamily: FONT,
          fontWeight: 700,
          fontSize: unit * 3.6,
          opacity: late,
        }}
      >
        {cta}
      </div>
      <div style={{position: 'absolute', bottom: unit * 4, left: unit * 6, right: unit * 6, fontFamily: FONT, fontSize: unit * 2, color: palette.muted, opacity: late}}>
        {disclaimer}
      </div>
    </AbsoluteFill>
  );
};
