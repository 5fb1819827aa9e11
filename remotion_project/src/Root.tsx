import React from 'react';
import {Composition} from 'remotion';
import {ComplianceVideo} from './ComplianceVideo';
import {Overlays} from './Overlays';
import {ProductAd} from './ProductAd';
import {complianceVideoSchema, overlaySchema, productAdSchema} from './schema';
import type {ComplianceVideoProps, OverlayProps, ProductAdProps} from './schema';

const palette = {
  background: '#0B1F3A',
  primary: '#19C3B1',
  accent: '#FFB547',
  warning: '#FF6B6B',
  text: '#FFFFFF',
  muted: '#9FB3C8',
};
const frame = {width: 1280, height: 720, fps: 30, durationInFrames: 180, frames: null, layers: null, enterFrames: 18};

const productAdDefaults: ProductAdProps = {
  ...frame,
  brandName: 'DiabetEase',
  palette,
  scenes: [
    {kind: 'title', from: 0, durationInFrames: 90, eyebrow: 'New', headline: 'DiabetEase', body: 'A new option for type 2 diabetes', bullets: [], source: ''},
    {kind: 'benefit', from: 90, durationInFrames: 90, eyebrow: 'Why it matters', headline: 'Made for everyday life', body: '', bullets: ['Once daily', 'Simple routine'], source: ''},
  ],
};
const complianceDefaults: ComplianceVideoProps = {
  ...productAdDefaults,
  scenes: [
    {kind: 'approved_use', from: 0, durationInFrames: 90, eyebrow: 'Approved use', headline: 'DiabetEase is indicated for adults with type 2 diabetes.', body: '', bullets: [], source: 'Source: reference document'},
    {kind: 'isi', from: 90, durationInFrames: 90, eyebrow: '', headline: 'Important Safety Information', body: '', bullets: ['Do not use in type 1 diabetes.'], source: ''},
  ],
};
const overlayDefaults: OverlayProps = {
  ...frame,
  calloutDelayFrames: 5,
  brandName: 'DiabetEase',
  palette,
  lowerThirds: [{from: 0, durationInFrames: 90, title: 'DiabetEase', subtitle: 'Type 2 diabetes'}],
  callouts: [{from: 90, durationInFrames: 90, text: 'Once daily'}],
  endCard: null,
};

// Width, height, fps and length come from the props, so Python chooses them per render.
const fromProps = ({props}: {props: {width: number; height: number; fps: number; durationInFrames: number; frames: number[] | null}}) => ({
  width: props.width,
  height: props.height,
  fps: props.fps,
  durationInFrames: props.frames && props.frames.length > 0 ? props.frames.length : props.durationInFrames,
});

export const RemotionRoot: React.FC = () => (
  <>
    <Composition
      id="ProductAd"
      component={ProductAd}
      schema={productAdSchema}
      defaultProps={productAdDefaults}
      calculateMetadata={fromProps}
      width={frame.width}
      height={frame.height}
      fps={frame.fps}
      durationInFrames={frame.durationInFrames}
    />
    <Composition
      id="ComplianceVideo"
      component={ComplianceVideo}
      schema={complianceVideoSchema}
      defaultProps={complianceDefaults}
      calculateMetadata={fromProps}
      width={frame.width}
      height={frame.height}
      fps={frame.fps}
      durationInFrames={frame.durationInFrames}
    />
    <Composition
      id="Overlays"
      component={Overlays}
      schema={overlaySchema}
      defaultProps={overlayDefaults}
      calculateMetadata={fromProps}
      width={frame.width}
      height={frame.height}
      fps={frame.fps}
      durationInFrames={frame.durationInFrames}
    />
  </>
);
