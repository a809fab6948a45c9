/** jedisct1's siphash-js (SipHash-2-4): a 128-bit key as four little-endian 32-bit words. */
declare module 'siphash' {
  interface SipHash64 {
    h: number;
    l: number;
  }
  const SipHash: {
    hash(key: readonly number[], message: Uint8Array | string): SipHash64;
  };
  export default SipHash;
}
