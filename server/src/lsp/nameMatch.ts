// Which tensor a piece of text names. The rule (README "Hovers"):
// 1. Inside a string literal whose whole content is a tensor name (any characters): that tensor.
// 2. Otherwise the dotted word under the cursor (`a.b.0.c`, with `x[0]` read as `x.0`):
//    a. a full tensor name: that tensor;
//    b. a full name after extra leading parts (`self.model.layers.0.mlp.up_proj.weight`): that tensor;
//    c. a partial name, i.e. a run of whole dot-separated parts of tensor names (`layers.0.self_attn.q_proj`,
//       `q_proj.weight`, `lm_head`): every tensor it is part of; leading parts no name has are dropped
//       (`self.layers.0.mlp` -> `layers.0.mlp`), known ones are not (`model.layers.7.mlp` names nothing
//       in a two-block model, rather than another block's `mlp`).
//    A single part that names several tensors (`weight`, `q_proj`) is too generic and names nothing.
//    Unknown parts after the end of a name (`.data`, `.grad`, `.T`) are dropped: `...q_proj.weight.data`.
// 3. When several tensors match, a layer named earlier on the same line (`layers.0`, `layers[0]`, `h.3`)
//    keeps only the tensors of that layer (`for n, p in model.layers[1].named_parameters(): "q_proj.weight"`).

export interface TextSpan {
  start: number;
  end: number;
}

export interface NameAtCursor {
  /** the dotted word, normalised (`[N]` -> `.N`) */
  word: string | null;
  wordSpan: TextSpan | null;
  /** the content of the string literal around the cursor */
  quoted: string | null;
  quotedSpan: TextSpan | null;
}

const DOTTED = /(?:[A-Za-z0-9_]+|\[\d+\])(?:\.[A-Za-z0-9_]+|\[\d+\])*/g;
const QUOTES = new Set(['"', "'", '`']);

function stringAround(line: string, at: number): { text: string; span: TextSpan } | null {
  let open = -1;
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (open >= 0) {
      if (c === '\\') i++;
      else if (c === quote) {
        if (at > open && at <= i) return { text: line.slice(open + 1, i), span: { start: open + 1, end: i } };
        open = -1;
      }
    } else if (QUOTES.has(c)) {
      open = i;
      quote = c;
    }
    if (open < 0 && i >= at) break;
  }
  return null;
}

/** The dotted word and the string literal under `character` (0-based UTF-16 offset) of `line`. */
export function nameAtCursor(line: string, character: number): NameAtCursor {
  let word: string | null = null;
  let wordSpan: TextSpan | null = null;
  for (const m of line.matchAll(DOTTED)) {
    const start = m.index!;
    const end = start + m[0].length;
    if (character >= start && character <= end && end > start) {
      word = m[0].replace(/\[(\d+)\]/g, '.$1').replace(/^\.+|\.+$/g, '');
      wordSpan = { start, end };
      break;
    }
    if (start > character) break;
  }
  const s = stringAround(line, character);
  return { word, wordSpan, quoted: s?.text ?? null, quotedSpan: s?.span ?? null };
}

/** Tensor names, indexed by their dot-separated parts for partial matches. */
export class NameIndex {
  private readonly names: Set<string>;
  private readonly byPart = new Map<string, string[]>();
  private readonly leaves = new Set<string>();

  constructor(names: Iterable<string>) {
    this.names = new Set(names);
    for (const name of this.names) {
      this.leaves.add(name.slice(name.lastIndexOf('.') + 1));
      for (const part of new Set(name.split('.'))) {
        const list = this.byPart.get(part);
        if (list) list.push(name);
        else this.byPart.set(part, [name]);
      }
    }
  }

  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** Whether some name ends with this part (`weight`, `bias`). */
  isLeaf(part: string): boolean {
    return this.leaves.has(part);
  }

  /** Whether any name has this dot-separated part. */
  hasPart(part: string): boolean {
    return this.byPart.has(part);
  }

  /** Names of which `parts` is a run of whole parts. */
  partial(parts: readonly string[]): string[] {
    let rarest: string[] | undefined;
    for (const p of parts) {
      const list = this.byPart.get(p);
      if (!list) return [];
      if (!rarest || list.length < rarest.length) rarest = list;
    }
    const needle = `.${parts.join('.')}.`;
    return (rarest ?? []).filter((n) => `.${n}.`.includes(needle));
  }
}

export interface Match {
  names: string[];
  span: TextSpan;
}

const LAYER_CONTEXT = /([A-Za-z_][A-Za-z0-9_]*)(?:\.(\d+)|\[(\d+)\])/g;

/** Keeps the names of the last layer (`word.N` / `word[N]`) named in `before`, when that leaves any. */
function narrowByLayer(names: string[], before: string): string[] {
  const layers = [...before.matchAll(LAYER_CONTEXT)];
  for (let i = layers.length - 1; i >= 0; i--) {
    const m = layers[i]!;
    const needle = `.${m[1]}.${m[2] ?? m[3]}.`;
    const kept = names.filter((n) => `.${n}.`.includes(needle));
    if (kept.length > 0) return kept;
  }
  return names;
}

/** Full or partial names for these parts (rules 2a-2c); null: none, or too generic. */
function matchParts(index: NameIndex, parts: readonly string[], before: string): string[] | null {
  if (parts.length === 0) return null;
  for (let i = 0; i < parts.length; i++) {
    const name = parts.slice(i).join('.');
    if (index.has(name)) return [name];
  }
  // Partial names: leading parts no tensor name has (`self`, `sd`) are dropped; known ones are not, so
  // `model.layers.7.mlp` never falls back to another layer's `mlp`.
  let first = 0;
  while (first < parts.length && !index.hasPart(parts[first]!)) first++;
  const rest = parts.slice(first);
  const names = rest.length > 0 ? index.partial(rest) : [];
  if (names.length === 0) return null;
  if (rest.length === 1 && names.length > 1) return null;
  return names.length > 1 ? narrowByLayer(names, before) : names;
}

/** The tensors the text at `character` names (rule at the top of this file); null when none. */
export function matchTensorNames(index: NameIndex, line: string, character: number): Match | null {
  const at = nameAtCursor(line, character);
  if (at.quoted !== null && at.quotedSpan && index.has(at.quoted)) return { names: [at.quoted], span: at.quotedSpan };
  if (at.word === null || at.wordSpan === null) return null;
  const parts = at.word.split('.');
  const before = line.slice(0, at.wordSpan.start);
  const names = matchParts(index, parts, before) ?? matchParts(index, withoutAccessors(index, parts), before);
  return names ? { names, span: at.wordSpan } : null;
}

/** `a.b.weight.grad.T` -> `a.b.weight`: unknown parts after the last part that ends a tensor name. */
function withoutAccessors(index: NameIndex, parts: readonly string[]): string[] {
  let end = parts.length;
  while (end > 0 && !index.hasPart(parts[end - 1]!)) end--;
  return end < parts.length && end > 0 && index.isLeaf(parts[end - 1]!) ? parts.slice(0, end) : [];
}
