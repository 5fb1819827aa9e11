import React from 'react';
import {AbsoluteFill} from 'remotion';
import {AdSceneView} from './components/AdScene';
import {active, useBrandFont, useRenderPoint} from './components/timeline';
import type {ComplianceVideoProps} from './schema';

// A sober, document-like video: every statement on screen carries its source.
export const ComplianceVideo: React.FC<ComplianceVideoProps> = ({scenes, palette, brandName, enterFrames, frames, layers, font}) => {
  useBrandFont(font);
  const {t, layer} = useRenderPoint(frames, layers);
  return (
    <AbsoluteFill style={{backgroundColor: 'transparent'}}>
      {active(scenes, t).map(({item, local}) => (
        <AdSceneView key={item.from} scene={item} local={local} layer={layer} palette={palette} brandName={brandName} enterFrames={enterFrames} formal />
      ))}
    </AbsoluteFill>
  );
};
