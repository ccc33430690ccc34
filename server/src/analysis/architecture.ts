// Architecture detection from tensor names alone, and the model description built on it.
import { FAMILY_LAYOUTS, familyModules, type ArchitectureFamily, type FamilyLayout } from './architectureFamilies.ts';
import { inferModelShape, type ModelShape, type ShapeOptions } from './architectureShape.ts';
import { groupLayers, tensorIn, type Layer, type NamedShape } from './layers.ts';

export type { ArchitectureFamily } from './architectureFamilies.ts';

/**
 * `high`: every block holds all of the family's weights; `medium`: some blocks do (others differ, e.g.
 * a mixture-of-experts or truncated checkpoint); `low`: no family matched (`generic`).
 */
export type Confidence = 'high' | 'medium' | 'low';

export interface ArchitectureDetection {
  family: ArchitectureFamily;
  confidence: Confidence;
  /** One sentence saying which names led to the verdict. */
  evidence: string;
}

export interface ModelArchitecture<T extends NamedShape = NamedShape> extends ArchitectureDetection {
  layers: Layer<T>[];
  shape: ModelShape;
}

/** Groups layers, detects the family and infers the shape, in one call. */
export function describeArchitecture<T extends NamedShape>(tensors: readonly T[], options: ShapeOptions = {}): ModelArchitecture<T> {
  const layers = groupLayers(tensors);
  const detection = detectArchitecture(layers);
  return { ...detection, layers, shape: inferModelShape(layers, detection.family, options) };
}

export function detectArchitecture(layers: readonly Layer[]): ArchitectureDetection {
  const blocks = layers.filter((l) => l.kind === 'block');
  if (blocks.length === 0) return { family: 'generic', confidence: 'low', evidence: 'no numbered blocks in the tensor names' };
  const scored = FAMILY_LAYOUTS.map((layout) => scoreFamily(layout, blocks));
  const best = scored.reduce((a, b) => (b.complete > a.complete ? b : a));
  if (best.complete > 0) {
    const where = best.complete === blocks.length ? `all ${blocks.length} blocks` : `${best.complete} of ${blocks.length} blocks`;
    return {
      family: best.layout.family,
      confidence: best.complete === blocks.length ? 'high' : 'medium',
      evidence: `${best.layout.label}: ${where} hold ${best.modules.join(', ')}`,
    };
  }
  const closest = scored.reduce((a, b) => (b.present.length > a.present.length ? b : a));
  const missing = closest.modules.filter((m) => !closest.present.includes(m));
  const hint = closest.present.length > 0 ? `; closest is ${closest.layout.label}, missing ${missing.join(', ')}` : '';
  return { family: 'generic', confidence: 'low', evidence: `${blocks.length} numbered blocks match no known naming${hint}` };
}

interface FamilyScore {
  layout: FamilyLayout;
  modules: string[];
  /** Blocks holding every module's weight. */
  complete: number;
  /** Modules found in the best-matching block. */
  present: string[];
}

function scoreFamily(layout: FamilyLayout, blocks: readonly Layer[]): FamilyScore {
  const modules = familyModules(layout);
  let complete = 0;
  let present: string[] = [];
  for (const block of blocks) {
    const found = modules.filter((m) => tensorIn(block, `${m}.weight`) !== undefined);
    if (found.length === modules.length) complete++;
    if (found.length > present.length) present = found;
  }
  return { layout, modules, complete, present };
}
