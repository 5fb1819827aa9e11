import React from 'react';
import {AbsoluteFill} from 'remotion';
import {AdSceneView} from './components/AdScene';
import {active, useBrandFont, useRenderPoint} from './components/timeline';
import type {ProductAdProps} from './schema';

// A modern product ad: animated title, benefit callouts over moving footage, a call to action.
export const ProductAd: React.FC<ProductAdProps> = ({scenes, palette, brandName, enterFrames, frames, layers, font}) => {
  useBrandFont(font);
  const {t, layer} = useRenderPoint(frames, layers);
  return (
    <AbsoluteFill style={{backgroundColor: 'transparent'}}>
      {active(scenes, t).map(({item, local}) => (
        <AdSceneView key={item.from} scene={item} local={local} layer={layer} palette={palette} brandName={brandName} enterFrames={enterFrames} formal={false} />
      ))}
    </AbsoluteFill>
  );
};
