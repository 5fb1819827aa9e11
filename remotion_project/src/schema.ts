// Every composition's props, declared once. Python builds these props; Root.tsx gives defaults.
import {z} from 'zod';

export const paletteSchema = z.object({
  background: z.string(),
  primary: z.string(),
  accent: z.string(),
  warning: z.string(),
  text: z.string(),
  muted: z.string(),
});

// Size, rate and length come from Python, so one composition serves every format.
export const frameSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  fps: z.number().int().positive(),
  durationInFrames: z.number().int().positive(),
  // When set, frame i of the render shows timeline frame frames[i]: only the frames where
  // something moves are rendered, and the still stretches between them are held by ffmpeg.
  frames: z.array(z.number().int().nonnegative()).nullable(),
  // Parallel to frames: which layer each rendered frame draws (see components/timeline.tsx).
  layers: z.array(z.enum(['all', 'content', 'backdrop'])).nullable(),
  // Frames an element takes to animate in; after that the layer is still until the next scene.
  enterFrames: z.number().int().positive(),
  // A brand kit's font (its family and the file as a data URL); null: DejaVu Sans.
  font: z.object({family: z.string(), url: z.string()}).nullable().optional(),
});

export const adSceneSchema = z.object({
  kind: z.enum(['title', 'problem', 'benefit', 'proof', 'cta', 'statement', 'approved_use', 'isi', 'closing']),
  from: z.number().int().nonnegative(),
  durationInFrames: z.number().int().positive(),
  eyebrow: z.string(),
  headline: z.string(),
  body: z.string(),
  bullets: z.array(z.string()),
  source: z.string(),
});

export const productAdSchema = frameSchema.extend({
  brandName: z.string(),
  palette: paletteSchema,
  scenes: z.array(adSceneSchema),
});

export const complianceVideoSchema = productAdSchema;

export const overlaySchema = frameSchema.extend({
  // Callouts pop in this many frames after their scene starts, after its lower third.
  calloutDelayFrames: z.number().int().nonnegative(),
  brandName: z.string(),
  palette: paletteSchema,
  lowerThirds: z.array(
    z.object({from: z.number().int().nonnegative(), durationInFrames: z.number().int().positive(), title: z.string(), subtitle: z.string()}),
  ),
  callouts: z.array(
    z.object({from: z.number().int().nonnegative(), durationInFrames: z.number().int().positive(), text: z.string()}),
  ),
  endCard: z
    .object({from: z.number().int().nonnegative(), durationInFrames: z.number().int().positive(), headline: z.string(), cta: z.string(), disclaimer: z.string()})
    .nullable(),
});

export type Palette = z.infer<typeof paletteSchema>;
export type AdScene = z.infer<typeof adSceneSchema>;
export type ProductAdProps = z.infer<typeof productAdSchema>;
export type ComplianceVideoProps = z.infer<typeof complianceVideoSchema>;
export type OverlayProps = z.infer<typeof overlaySchema>;
