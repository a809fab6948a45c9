/**
 * The hashes of TensorFlow's string bucketing ops, bit for bit (tensorflow/core/kernels/string_to_hash_bucket_op,
 * sparse_cross_op.cc and tensorflow/core/platform/fingerprint.h):
 * - `tf.strings.to_hash_bucket_fast(s, n)`: FarmHash `Fingerprint64` of the UTF-8 bytes (farmhashna's Hash64,
 *   which TF's `Fingerprint64` calls) mod `n`;
 * - `tf.strings.to_hash_bucket_strong(s, n, key)`: SipHash-2-4 keyed by the two 64-bit `key` values mod `n`;
 * - `tf.sparse.cross_hashed(features, n)`: starting from the hash key `0xDECAFCAFFE`, each feature's hash
 *   (a string's Fingerprint64, an integer's own int64 bits) joined by `FingerprintCat64`, then mod `n`.
 * Known answers computed by TensorFlow 2.21 are in test/engine/hashing.test.ts.
 */
/// <reference path="./siphash.d.ts" />
import { fingerprint64 as farmhashFingerprint64 } from 'farmhash-modern';
import SipHash from 'siphash';

const UTF8 = new TextEncoder();
const U64 = (1n << 64n) - 1n;
const K_MUL = 0xc6a4a7935bd1e995n;
/** `tf.sparse.cross_hashed`'s default `hash_key` (tensorflow/python/ops/sparse_ops.py `_DEFAULT_HASH_KEY`). */
export const CROSS_HASH_KEY = 0xdecafcaffen;

/** FarmHash Fingerprint64 of a string's UTF-8 bytes, as TensorFlow's `Fingerprint64`. */
export function fingerprint64(s: string): bigint {
  return farmhashFingerprint64(UTF8.encode(s));
}

/** A SipHash key: TF's two uint64 `key` values as the four little-endian 32-bit words siphash-js takes. */
export function sipHashKey(key: readonly [bigint, bigint]): number[] {
  return key.flatMap((k) => {
    const u = BigInt.asUintN(64, k);
    return [Number(u & 0xffffffffn), Number(u >> 32n)];
  });
}

/** SipHash-2-4 of a string's UTF-8 bytes under a key from {@link sipHashKey}. */
export function sipHash24(key: readonly number[], s: string): bigint {
  const { h, l } = SipHash.hash(key, UTF8.encode(s));
  return (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
}

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

/** TensorFlow's `FingerprintCat64(fp1, fp2)`: joins two 64-bit fingerprints (not commutative). */
export function fingerprintCat64(fp1: bigint, fp2: bigint): bigint {
  let result = fp1 ^ K_MUL;
  result ^= (shiftMix((fp2 * K_MUL) & U64) * K_MUL) & U64;
  result = (result * K_MUL) & U64;
  result = (shiftMix(result) * K_MUL) & U64;
  return shiftMix(result);
}

/** One feature of a cross: a string, or an int64 (taken as its 64 bits). */
export type CrossFeature = string | bigint;

/** `tf.sparse.cross_hashed` of one combination of dense features (`numBuckets` 0: mod int64 max). */
export function crossHashed(features: readonly CrossFeature[], numBuckets: number): bigint {
  let hashed = CROSS_HASH_KEY;
  for (const f of features) {
    const h = typeof f === 'string' ? fingerprint64(f) : BigInt.asUintN(64, f);
    hashed = fingerprintCat64(hashed, h);
  }
  return hashed % (numBuckets > 0 ? BigInt(numBuckets) : (1n << 63n) - 1n);
}
