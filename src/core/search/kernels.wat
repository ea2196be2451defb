;; The search kernels, one per precision's scoring, in WebAssembly SIMD128. Each scores $n rows
;; that lie back to back from $rows against one query at $q and writes the rows that may enter
;; the caller's top k — raw score at least $thr (dot products) or at most $thr (Hamming
;; distance) — as (i32 row within the call, raw score) pairs to $out, returning how many. The
;; caller passes a threshold a little looser than its heap's and checks each candidate exactly
;; (src/core/search/scan.ts): most rows of a large scan then cost no JS at all.
;;
;; This is a template: scripts/build-wasm.ts assembles it four times — SIMD128 or relaxed SIMD,
;; with an ordinary or a shared memory (search workers share one over SharedArrayBuffer) — by
;; replacing two tokens:
;;   MEMORY    the memory import's limits ("1" or "1 65536 shared")
;;   MADD_F32  with [a b c] on the stack leaves a·b + c: "f32x4.relaxed_madd" (one FMA where the
;;             CPU has it), or "local.set $t f32x4.mul local.get $t f32x4.add" (SIMD128; every
;;             function using it declares (local $t v128)).
;; and inserting the unrolled Hamming kernels for the common row widths where the token
;; HAMMING_FIXED stands (generated: scripts/build-wasm.ts, hammingFixed; see the comment there).
;; Tails (dims not a multiple of the vector width) are scored one value at a time, so any dims work.
(module
  (import "env" "memory" (memory MEMORY))

  ;; float32: Σ q_d·x_d. Two accumulators of 4 lanes over 8 values per step, then 4, then scalar.
  (func (export "dot_f32") (param $q i32) (param $rows i32) (param $n i32) (param $dims i32) (param $out i32) (param $thr f32) (result i32)
    (local $out0 i32) (local $r i32) (local $i i32) (local $p i32) (local $a0 v128) (local $a1 v128) (local $t v128) (local $s f32)
    (local.set $out0 (local.get $out))
    (local.set $p (local.get $rows))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $v8done (loop $v8
        (br_if $v8done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $dims)))
        (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2))))
        (local.get $a0)
        MADD_F32
        (local.set $a0)
        (v128.load offset=16 (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
        (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2))))
        (local.get $a1)
        MADD_F32
        (local.set $a1)
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $v8)))
      (if (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $dims))
        (then
          (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
          (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2))))
          (local.get $a0)
          MADD_F32
          (local.set $a0)
          (local.set $i (i32.add (local.get $i) (i32.const 4)))))
      (local.set $a0 (f32x4.add (local.get $a0) (local.get $a1)))
      (local.set $s
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a0)) (f32x4.extract_lane 1 (local.get $a0)))
          (f32.add (f32x4.extract_lane 2 (local.get $a0)) (f32x4.extract_lane 3 (local.get $a0)))))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $dims)))
        (local.set $s (f32.add (local.get $s)
          (f32.mul (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))))
                   (f32.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 2)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (if (f32.ge (local.get $s) (local.get $thr))
        (then
          (i32.store (local.get $out) (local.get $r))
          (f32.store offset=4 (local.get $out) (local.get $s))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))))
      (local.set $p (i32.add (local.get $p) (i32.shl (local.get $dims) (i32.const 2))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (i32.shr_u (i32.sub (local.get $out) (local.get $out0)) (i32.const 3)))

  ;; int8 codes against int16 query weights (the per-dimension scale and offset folded into the
  ;; query, precision/int8.ts): Σ w_d·m(code_d) exactly in i32, m(c) = c − 1 for c < 0 (saturating
  ;; at −128), else c — so m(c) + 128.5 is the code's bucket middle (int8 truncates toward zero).
  ;; 16 codes a step: m in i8 lanes (lt_s 0 is −1 for negatives — pcmpgtb, where shr_s has no x86
  ;; byte form — then add_sat_s), sign-extend to two
  ;; i16x8 halves, i32x4.dot_i16x8_s each with its 8 weights (pmaddwd on x86).
  (func (export "dot_i8") (param $q i32) (param $rows i32) (param $n i32) (param $dims i32) (param $out i32) (param $thr i32) (result i32)
    (local $out0 i32) (local $r i32) (local $i i32) (local $p i32) (local $v v128) (local $a0 v128) (local $a1 v128) (local $s i32) (local $c i32)
    (local.set $out0 (local.get $out))
    (local.set $p (local.get $rows))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $vdone (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $dims)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $v (i8x16.add_sat_s (local.get $v) (i8x16.lt_s (local.get $v) (v128.const i64x2 0 0))))
        (local.set $a0 (i32x4.add (local.get $a0)
          (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v))
                             (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $a1 (i32x4.add (local.get $a1)
          (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $v))
                             (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
      (local.set $a0 (i32x4.add (local.get $a0) (local.get $a1)))
      (local.set $s
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $a0)) (i32x4.extract_lane 1 (local.get $a0)))
          (i32.add (i32x4.extract_lane 2 (local.get $a0)) (i32x4.extract_lane 3 (local.get $a0)))))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $dims)))
        (local.set $c (i32.load8_s (i32.add (local.get $p) (local.get $i))))
        (local.set $c (i32.add (local.get $c) (i32.shr_s (local.get $c) (i32.const 31))))
        (local.set $c (select (i32.const -128) (local.get $c) (i32.lt_s (local.get $c) (i32.const -128))))
        (local.set $s (i32.add (local.get $s)
          (i32.mul (local.get $c) (i32.load16_s (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (if (i32.ge_s (local.get $s) (local.get $thr))
        (then
          (i32.store (local.get $out) (local.get $r))
          (i32.store offset=4 (local.get $out) (local.get $s))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))))
      (local.set $p (i32.add (local.get $p) (local.get $dims)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (i32.shr_u (i32.sub (local.get $out) (local.get $out0)) (i32.const 3)))

  ;; uint8: as dot_i8 with zero-extended codes (0…255 fit an i16 lane).
  (func (export "dot_u8") (param $q i32) (param $rows i32) (param $n i32) (param $dims i32) (param $out i32) (param $thr i32) (result i32)
    (local $out0 i32) (local $r i32) (local $i i32) (local $p i32) (local $v v128) (local $a0 v128) (local $a1 v128) (local $s i32)
    (local.set $out0 (local.get $out))
    (local.set $p (local.get $rows))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $a1 (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $vdone (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $dims)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $i))))
        (local.set $a0 (i32x4.add (local.get $a0)
          (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $v))
                             (v128.load (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $a1 (i32x4.add (local.get $a1)
          (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $v))
                             (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
      (local.set $a0 (i32x4.add (local.get $a0) (local.get $a1)))
      (local.set $s
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $a0)) (i32x4.extract_lane 1 (local.get $a0)))
          (i32.add (i32x4.extract_lane 2 (local.get $a0)) (i32x4.extract_lane 3 (local.get $a0)))))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $dims)))
        (local.set $s (i32.add (local.get $s)
          (i32.mul (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                   (i32.load16_s (i32.add (local.get $q) (i32.shl (local.get $i) (i32.const 1)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (if (i32.ge_s (local.get $s) (local.get $thr))
        (then
          (i32.store (local.get $out) (local.get $r))
          (i32.store offset=4 (local.get $out) (local.get $s))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))))
      (local.set $p (i32.add (local.get $p) (local.get $dims)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (i32.shr_u (i32.sub (local.get $out) (local.get $out0)) (i32.const 3)))

  ;; binary/ubinary: Hamming distance of packed bits with scalar i64.popcnt, 16 bytes a step, then
  ;; 8, then a byte at a time. Measured against i8x16.popcnt (emulated with byte shuffles on x86)
  ;; summed in u16 lanes, 200k × 512-bit rows in Node 20 on the AMD EPYC, min of 21: 0.83 ms vs
  ;; 1.13 ms — POPCNT is one instruction per 8 bytes and needs no horizontal sum per row.
  (func (export "hamming") (param $q i32) (param $rows i32) (param $n i32) (param $bytes i32) (param $out i32) (param $thr i32) (result i32)
    (local $out0 i32) (local $r i32) (local $i i32) (local $p i32) (local $w i64) (local $s i32)
    (local.set $out0 (local.get $out))
    (local.set $p (local.get $rows))
    (block $done (loop $row
      (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
      (local.set $w (i64.const 0))
      (local.set $i (i32.const 0))
      (block $vdone (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $bytes)))
        (local.set $w (i64.add (local.get $w)
          (i64.add
            (i64.popcnt (i64.xor (i64.load (i32.add (local.get $p) (local.get $i))) (i64.load (i32.add (local.get $q) (local.get $i)))))
            (i64.popcnt (i64.xor (i64.load offset=8 (i32.add (local.get $p) (local.get $i))) (i64.load offset=8 (i32.add (local.get $q) (local.get $i))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $v)))
      (if (i32.le_u (i32.add (local.get $i) (i32.const 8)) (local.get $bytes))
        (then
          (local.set $w (i64.add (local.get $w)
            (i64.popcnt (i64.xor (i64.load (i32.add (local.get $p) (local.get $i))) (i64.load (i32.add (local.get $q) (local.get $i)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 8)))))
      (local.set $s (i32.wrap_i64 (local.get $w)))
      (block $tdone (loop $tail
        (br_if $tdone (i32.ge_u (local.get $i) (local.get $bytes)))
        (local.set $s (i32.add (local.get $s)
          (i32.popcnt (i32.xor (i32.load8_u (i32.add (local.get $p) (local.get $i)))
                               (i32.load8_u (i32.add (local.get $q) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
      (if (i32.le_s (local.get $s) (local.get $thr))
        (then
          (i32.store (local.get $out) (local.get $r))
          (i32.store offset=4 (local.get $out) (local.get $s))
          (local.set $out (i32.add (local.get $out) (i32.const 8)))))
      (local.set $p (i32.add (local.get $p) (local.get $bytes)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $row)))
    (i32.shr_u (i32.sub (local.get $out) (local.get $out0)) (i32.const 3)))

  ;; hamming_32, hamming_48, hamming_64, hamming_96, hamming_128: the same results as "hamming" for
  ;; rows of exactly that many bytes (256/384/512/768/1024 bits), with no inner loop.
  HAMMING_FIXED

  ;; The read ceiling: the fastest pass over $bytes bytes (a multiple of 64) at $p we can write —
  ;; four independent i32x4 sums of 16-byte loads. Returns a value that depends on every byte so
  ;; the engine cannot skip the reads.
  (func (export "sum") (param $p i32) (param $bytes i32) (result i32)
    (local $end i32) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (block $done (loop $v
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a0 (i32x4.add (local.get $a0) (v128.load (local.get $p))))
      (local.set $a1 (i32x4.add (local.get $a1) (v128.load offset=16 (local.get $p))))
      (local.set $a2 (i32x4.add (local.get $a2) (v128.load offset=32 (local.get $p))))
      (local.set $a3 (i32x4.add (local.get $a3) (v128.load offset=48 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $v)))
    (local.set $a0 (i32x4.add (i32x4.add (local.get $a0) (local.get $a1)) (i32x4.add (local.get $a2) (local.get $a3))))
    (i32.xor
      (i32.xor (i32x4.extract_lane 0 (local.get $a0)) (i32x4.extract_lane 1 (local.get $a0)))
      (i32.xor (i32x4.extract_lane 2 (local.get $a0)) (i32x4.extract_lane 3 (local.get $a0)))))
)
