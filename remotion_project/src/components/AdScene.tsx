import React from 'react';
import {AbsoluteFill, Easing, useVideoConfig} from 'remotion';
import type {AdScene, Palette} from '../schema';
import {BALANCED, FONT, entrance, withAlpha} from './timeline';
import type {Layer} from './timeline';

type Props = {scene: AdScene; local: number; layer: Layer; palette: Palette; brandName: string; enterFrames: number; formal: boolean};

// One scene of a Remotion video, drawn over transparent space: the moving background (stock
// footage or generated light) is laid under it by ffmpeg.
export const AdSceneView: React.FC<Props> = ({scene, local, layer, palette, brandName, enterFrames, formal}) => {
  const {width, height} = useVideoConfig();
  const unit = Math.min(width, height) / 100;
  const enter = entrance(local, enterFrames);
  const late = entrance(local, Math.max(4, Math.round(enterFrames * 0.6)), Math.round(enterFrames * 0.4));
  const pop = entrance(local, enterFrames, 0, Easing.out(Easing.back(1.6)));

  // The scrim that keeps text legible over footage: a full-frame gradient, costly to capture,
  // so in keyframe mode it is drawn once per scene as the backdrop layer.
  const scrim =
    layer === 'content' ? null : (
      <AbsoluteFill
        style={{
          background: formal
            ? withAlpha(palette.background, 0.72)
            : `linear-gradient(90deg, ${withAlpha(palette.background, 0.88)} 0%, ${withAlpha(palette.background, 0.55)} 55%, ${withAlpha(palette.background, 0.05)} 100%)`,
          opacity: layer === 'backdrop' ? 1 : enter,
        }}
      />
    );
  if (layer === 'backdrop') {
    return scrim;
  }

  const eyebrow = scene.eyebrow ? (
    <div
      style={{
        fontFamily: FONT,
        fontSize: unit * 3.2,
        letterSpacing: unit * 0.4,
        textTransform: 'uppercase',
        color: palette.accent,
        fontWeight: 700,
        opacity: enter,
        transform: `translateY(${(1 - enter) * unit * 3}px)`,
        marginBottom: unit * 2,
      }}
    >
      {scene.eyebrow}
    </div>
  ) : null;

  // Long headlines (a quoted approved-use statement) get smaller type instead of more lines.
  const baseSize = scene.kind === 'title' ? unit * 10 : scene.kind === 'cta' ? unit * 7.5 : unit * 6.2;
  const headlineSize = baseSize * Math.min(1, Math.sqrt(32 / Math.max(32, scene.headline.length)));
  const headline = (
    <div
      style={{
        ...BALANCED,
        fontFamily: FONT,
        fontWeight: 700,
        fontSize: headlineSize,
        lineHeight: 1.12,
        color: palette.text,
        opacity: enter,
        transform: `translateX(${(1 - enter) * -unit * 6}px)`,
        maxWidth: width * 0.62,
      }}
    >
      {scene.headline}
    </div>
  );

  const rule = (
    <div
      style={{
        height: unit * 0.7,
        width: `${enter * unit * 22}px`,
        background: palette.primary,
        borderRadius: unit,
        margin: `${unit * 2.5}px 0`,
      }}
    />
  );

  const body = scene.body ? (
    <div
      style={{
        fontFamily: FONT,
        fontSize: unit * (formal ? 3.6 : 4),
        lineHeight: 1.4,
        color: withAlpha(palette.text, 0.92),
        opacity: late,
        maxWidth: width * 0.58,
      }}
    >
      {scene.body}
    </div>
  ) : null;

  const bullets = scene.bullets.length ? (
    <div style={{marginTop: unit * 2}}>
      {scene.bullets.map((bullet, index) => (
        <Bullet key={bullet} text={bullet} index={index} local={local} unit={unit} palette={palette} enterFrames={enterFrames} />
      ))}
    </div>
  ) : null;

  const source = scene.source ? (
    <div style={{fontFamily: FONT, fontSize: unit * 2.2, color: palette.muted, marginTop: unit * 3, opacity: late}}>
      {scene.source}
    </div>
  ) : null;

  if (scene.kind === 'isi') {
    return (
      <AbsoluteFill>
        {scrim}
        <AbsoluteFill style={{padding: unit * 7, justifyContent: 'center'}}>
          <div
            style={{
              border: `${unit * 0.4}px solid ${palette.warning}`,
              borderRadius: unit * 2,
              padding: unit * 4,
              background: withAlpha(palette.background, 0.85),
              opacity: enter,
              transform: `scale(${0.96 + 0.04 * enter})`,
            }}
          >
            <div style={{fontFamily: FONT, fontWeight: 700, fontSize: unit * 4.4, color: palette.warning, marginBottom: unit * 2}}>
              {scene.headline}
            </div>
            {scene.bullets.map((line) => (
              <div key={line} style={{fontFamily: FONT, fontSize: unit * 3, lineHeight: 1.45, color: palette.text, opacity: late}}>
                {line}
              </div>
            ))}
            {source}
          </div>
        </AbsoluteFill>
      </AbsoluteFill>
    );
  }

  if (scene.kind === 'cta' || scene.kind === 'closing') {
    return (
      <AbsoluteFill>
        {scrim}
        <AbsoluteFill style={{justifyContent: 'center', alignItems: 'center', textAlign: 'center', padding: unit * 6}}>
          {eyebrow}
          <div style={{...BALANCED, fontFamily: FONT, fontWeight: 700, fontSize: headlineSize, color: palette.text, opacity: enter, maxWidth: width * 0.8}}>
            {scene.headline}
          </div>
          {scene.body ? (
            <div
              style={{
                ...BALANCED,
                marginTop: unit * 4,
                padding: `${unit * 2}px ${unit * 5}px`,
                // Inside the title-safe width in every aspect, however long the line.
                maxWidth: width * 0.8,
                boxSizing: 'border-box',
                borderRadius: unit * 6,
                background: palette.primary,
                color: palette.background,
                fontFamily: FONT,
                fontWeight: 700,
                fontSize: unit * 3.8,
                transform: `scale(${pop})`,
              }}
            >
              {scene.body}
            </div>
          ) : null}
          <div style={{fontFamily: FONT, fontSize: unit * 3, color: palette.muted, marginTop: unit * 4, opacity: late}}>{brandName}</div>
          {source}
        </AbsoluteFill>
      </AbsoluteFill>
    );
  }

  return (
    <AbsoluteFill>
      {scrim}
      <AbsoluteFill style={{justifyContent: 'center', padding: `0 ${unit * 9}px`}}>
        {eyebrow}
        {headline}
        {rule}
        {body}
        {bullets}
        {source}
      </AbsoluteFill>
    </AbsoluteFill>
  );
};

const Bullet: React.FC<{text: string; index: number; local: number; unit: number; palette: Palette; enterFrames: number}> = ({
  text,
  index,
  local,
  unit,
  palette,
  enterFrames,
}) => {
  const step = Math.max(2, Math.round(enterFrames / 6));
  const shown = entrance(local, Math.max(4, enterFrames - step * 3), step * (index + 1));
  return (
    <div
      style={{
        display: 'flex',
        alignItems: 'center',
        gap: unit * 2,
        marginTop: unit * 1.6,
        opacity: shown,
        transform: `translateX(${(1 - shown) * unit * 4}px)`,
      }}
    >
      <div
        style={{
          width: unit * 3.4,
          height: unit * 3.4,
          borderRadius: '50%',
          background: palette.primary,
          color: palette.background,
          fontFamily: FONT,
          fontWeight: 700,
          fontSize: unit * 2.4,
          display: 'flex',
          alignItems: 'center',
          justifyContent: 'center',
          flexShrink: 0,
        }}
      >
        ✓
      </div>
      <div style={{fontFamily: FONT, fontSize: unit * 3.8, color: palette.text}}>{text}</div>
    </div>
  );
};
