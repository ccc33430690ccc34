// The quantization error table: which schemes are measured for weights and for each Adam moment.
// Names follow the reference files (`exp_avg_b128_de4`, ...) where the reference defines them.
import { makeCodebook, type CodebookKind } from '../../../kernels/src/codebooks.ts';
import type { Normalization } from '../../../kernels/src/cpu/quantError.ts';

export type QuantTarget = 'weight' | 'exp_avg' | 'exp_avg_sq';

export interface QuantScheme {
  /** stable key, e.g. `weight_b128_lin4`, `exp_avg_sq_rank1_lin0_4`, `exp_avg_sq_factored` */
  key: string;
  target: QuantTarget;
  /** absent for the factorization, which has no codebook */
  codebook?: CodebookKind;
  bits?: number;
  normalization?: Normalization;
  factored?: boolean;
  /** a short human label for tables and charts */
  label: string;
}

/** Tensors this small are usually left unquantized; the reference omits them and so do we by default. */
export const QUANT_MIN_ELEMENTS = 4097;

export const WEIGHT_BLOCKS = [32, 64, 128, 256, 512, 1024, 2048] as const;

const CODEBOOK_TAG: Partial<Record<CodebookKind, string>> = { 'linear-signed': 'lin', 'de-signed': 'de' };

function block(blockSize: number): Normalization {
  return { kind: 'block', blockSize };
}

/** Weights: int8 and int4, block-wise 32..2048, linear and dynamic-exponent codebooks. */
export const WEIGHT_SCHEMES: QuantScheme[] = WEIGHT_BLOCKS.flatMap((b) =>
  [8, 4].flatMap((bits) =>
    (['linear-signed', 'de-signed'] as const).map((cb) => ({
      key: `weight_b${b}_${CODEBOOK_TAG[cb]}${bits}`,
      target: 'weight' as const,
      codebook: cb,
      bits,
      normalization: block(b),
      label: `int${bits} ${cb === 'de-signed' ? 'DE' : 'linear'} B${b}`,
    })),
  ),
);

/** First moment: B2048 and B128 with the signed dynamic-exponent codebook (8-bit and 4-bit optimizers). */
export const EXP_AVG_SCHEMES: QuantScheme[] = [
  { key: 'exp_avg_b2048_de8', target: 'exp_avg', codebook: 'de-signed', bits: 8, normalization: block(2048), label: '8-bit DE B2048' },
  { key: 'exp_avg_b2048_de4', target: 'exp_avg', codebook: 'de-signed', bits: 4, normalization: block(2048), label: '4-bit DE B2048' },
  { key: 'exp_avg_b128_de4', target: 'exp_avg', codebook: 'de-signed', bits: 4, normalization: block(128), label: '4-bit DE B128' },
];

/** Second moment: with and without a zero in the codebook, rank-1, and the factorization. */
export const EXP_AVG_SQ_SCHEMES: QuantScheme[] = [
  { key: 'exp_avg_sq_b2048_de8', target: 'exp_avg_sq', codebook: 'de-unsigned', bits: 8, normalization: block(2048), label: '8-bit DE B2048' },
  { key: 'exp_avg_sq_b128_de4', target: 'exp_avg_sq', codebook: 'de-unsigned', bits: 4, normalization: block(128), label: '4-bit DE (with zero) B128' },
  { key: 'exp_avg_sq_b128_de0_4', target: 'exp_avg_sq', codebook: 'de0', bits: 4, normalization: block(128), label: '4-bit DE-0 B128' },
  { key: 'exp_avg_sq_b128_lin4', target: 'exp_avg_sq', codebook: 'linear-zero', bits: 4, normalization: block(128), label: '4-bit linear (with zero) B128' },
  { key: 'exp_avg_sq_b128_lin0_4', target: 'exp_avg_sq', codebook: 'linear-nozero', bits: 4, normalization: block(128), label: '4-bit linear (no zero) B128' },
  { key: 'exp_avg_sq_rank1_lin0_4', target: 'exp_avg_sq', codebook: 'linear-nozero', bits: 4, normalization: { kind: 'rank1' }, label: '4-bit linear (no zero) rank-1' },
  { key: 'exp_avg_sq_factored', target: 'exp_avg_sq', factored: true, label: 'factorized (Adafactor)' },
];

export const SCHEMES_BY_TARGET: Record<QuantTarget, QuantScheme[]> = {
  weight: WEIGHT_SCHEMES,
  exp_avg: EXP_AVG_SCHEMES,
  exp_avg_sq: EXP_AVG_SQ_SCHEMES,
};

/** The zero-point effect compares these two second-moment schemes (same block, with and without zero). */
export const ZERO_POINT_WITH_ZERO = 'exp_avg_sq_b128_de4';
export const ZERO_POINT_WITHOUT_ZERO = 'exp_avg_sq_b128_de0_4';

const codebookCache = new Map<string, Float32Array>();

export function codebookValues(kind: CodebookKind, bits: number): Float32Array {
  const key = `${kind}/${bits}`;
  let v = codebookCache.get(key);
  if (!v) codebookCache.set(key, (v = makeCodebook(kind, bits).values));
  return v;
}
