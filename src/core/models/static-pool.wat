;; A static model's pooling in WebAssembly SIMD128: the sum of a text's token rows, each times its
;; token's weight, then model2vec's mean and L2 normalisation. src/core/models/static.ts lays the
;; memory out and calls it once per text; its JS loop is the fallback where SIMD does not validate.
;;
;; Why: the JS loop adds one value at a time (~1 ns per token and dimension: 2.5 µs of a Moby-Dick
;; sentence's ~5 µs on glove-100d); here 16 dimensions go per step.
;;
;; Layout (all byte addresses): a table of rows padded to $dims (a multiple of 4) values — int8
;; ($stride = $dims bytes) or float32 ($stride = 4·$dims) —, optional per-token weights (f32,
;; address 0 = none, all 1) and an optional token → row mapping (i32, address 0 = none), the ids of
;; the text's kept tokens ($n of them at $ids; unknown tokens and those past the cap already left
;; out by the caller), a scratch area of 8·$n bytes, and the output row ($dims f32 at $out).
;;
;; Sums are float32 in token order, as the JS loop's Float32Array accumulator; mean and norm are
;; float64, then rounded to float32, as in the JS loop, so the two agree to float32's last bits.
(module
  (import "env" "memory" (memory 1))

  ;; Resolves each id to its row's address and weight: (i32 address, f32 weight) pairs at $scratch.
  (func $resolve (param $ids i32) (param $n i32) (param $table i32) (param $stride i32) (param $weights i32) (param $map i32) (param $scratch i32)
    (local $k i32) (local $id i32) (local $row i32) (local $p i32)
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
      (local.set $id (i32.load (i32.add (local.get $ids) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $row (local.get $id))
      (if (local.get $map) (then
        (local.set $row (i32.load (i32.add (local.get $map) (i32.shl (local.get $id) (i32.const 2)))))))
      (local.set $p (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 3))))
      (i32.store (local.get $p) (i32.add (local.get $table) (i32.mul (local.get $row) (local.get $stride))))
      (if (local.get $weights)
        (then (f32.store offset=4 (local.get $p) (f32.load (i32.add (local.get $weights) (i32.shl (local.get $id) (i32.const 2))))))
        (else (f32.store offset=4 (local.get $p) (f32.const 1))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $each))))

  ;; Mean over $n tokens, then (if $normalize) L2 with a 1e-12 floor, in float64 as the JS loop
  ;; (two float64 lanes per half of each 4-value step; the norm's sum in another order, so it may
  ;; differ from the JS loop's in the last float64 bits). Scalar, this was 0.58 µs of the 1.1 µs
  ;; a Moby-Dick sentence's pooling took (glove-100d, Node 20, CPU time).
  (func $finish (param $n i32) (param $dims i32) (param $normalize i32) (param $out i32)
    (local $p i32) (local $end i32) (local $k v128) (local $a v128) (local $lo v128) (local $hi v128) (local $n0 v128) (local $n1 v128) (local $norm f64)
    (local.set $k (f64x2.splat (f64.div (f64.const 1) (f64.convert_i32_u (select (local.get $n) (i32.const 1) (local.get $n))))))
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $dims) (i32.const 2))))
    (local.set $p (local.get $out))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a (v128.load (local.get $p)))
      (local.set $lo (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (local.get $k)))
      (local.set $hi (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a) (local.get $a))) (local.get $k)))
      (local.set $n0 (f64x2.add (local.get $n0) (f64x2.mul (local.get $lo) (local.get $lo))))
      (local.set $n1 (f64x2.add (local.get $n1) (f64x2.mul (local.get $hi) (local.get $hi))))
      (v128.store (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $each)))
    (br_if 0 (i32.eqz (local.get $normalize)))
    (local.set $n0 (f64x2.add (local.get $n0) (local.get $n1)))
    (local.set $norm (f64.add (f64x2.extract_lane 0 (local.get $n0)) (f64x2.extract_lane 1 (local.get $n0))))
    (local.set $k (f64x2.splat (f64.div (f64.const 1) (f64.max (f64.sqrt (local.get $norm)) (f64.const 1e-12)))))
    (local.set $p (local.get $out))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a (v128.load (local.get $p)))
      (local.set $lo (f64x2.mul (f64x2.promote_low_f32x4 (local.get $a)) (local.get $k)))
      (local.set $hi (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $a) (local.get $a))) (local.get $k)))
      (v128.store (local.get $p) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $each))))

  ;; int8 rows: 16 dimensions per step (four accumulators), then 4; every row is $dims bytes.
  (func (export "pool_i8") (param $ids i32) (param $n i32) (param $table i32) (param $dims i32) (param $weights i32) (param $map i32) (param $scratch i32) (param $normalize i32) (param $out i32)
    (local $d i32) (local $k i32) (local $p i32) (local $end i32) (local $w v128) (local $v v128) (local $h v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (call $resolve (local.get $ids) (local.get $n) (local.get $table) (local.get $dims) (local.get $weights) (local.get $map) (local.get $scratch))
    (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $n) (i32.const 3))))
    (block $d16done (loop $d16
      (br_if $d16done (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $dims)))
      (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
      (local.set $p (local.get $scratch))
      (block $kdone (loop $k16
        (br_if $kdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (f32x4.splat (f32.load offset=4 (local.get $p))))
        (local.set $v (v128.load (i32.add (i32.load (local.get $p)) (local.get $d))))
        (local.set $h (i16x8.extend_low_i8x16_s (local.get $v)))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $h))) (local.get $w))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $h))) (local.get $w))))
        (local.set $h (i16x8.extend_high_i8x16_s (local.get $v)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (local.get $h))) (local.get $w))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_high_i16x8_s (local.get $h))) (local.get $w))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $k16)))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))))
      (v128.store (local.get $p) (local.get $a0))
      (v128.store offset=16 (local.get $p) (local.get $a1))
      (v128.store offset=32 (local.get $p) (local.get $a2))
      (v128.store offset=48 (local.get $p) (local.get $a3))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (br $d16)))
    (block $d4done (loop $d4
      (br_if $d4done (i32.ge_u (local.get $d) (local.get $dims)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $p (local.get $scratch))
      (block $kdone (loop $k4
        (br_if $kdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load32_zero (i32.add (i32.load (local.get $p)) (local.get $d))))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_low_i16x8_s (i16x8.extend_low_i8x16_s (local.get $v)))) (f32x4.splat (f32.load offset=4 (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $k4)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) (local.get $a0))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (br $d4)))
    (call $finish (local.get $n) (local.get $dims) (local.get $normalize) (local.get $out)))

  ;; float32 rows (f16 tables are widened at load): the same steps; every row is 4·$dims bytes.
  (func (export "pool_f32") (param $ids i32) (param $n i32) (param $table i32) (param $dims i32) (param $weights i32) (param $map i32) (param $scratch i32) (param $normalize i32) (param $out i32)
    (local $d i32) (local $p i32) (local $q i32) (local $end i32) (local $w v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (call $resolve (local.get $ids) (local.get $n) (local.get $table) (i32.shl (local.get $dims) (i32.const 2)) (local.get $weights) (local.get $map) (local.get $scratch))
    (local.set $end (i32.add (local.get $scratch) (i32.shl (local.get $n) (i32.const 3))))
    (block $d16done (loop $d16
      (br_if $d16done (i32.gt_u (i32.add (local.get $d) (i32.const 16)) (local.get $dims)))
      (local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
      (local.set $a2 (v128.const i64x2 0 0)) (local.set $a3 (v128.const i64x2 0 0))
      (local.set $p (local.get $scratch))
      (block $kdone (loop $k16
        (br_if $kdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (f32x4.splat (f32.load offset=4 (local.get $p))))
        (local.set $q (i32.add (i32.load (local.get $p)) (i32.shl (local.get $d) (i32.const 2))))
        (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (v128.load (local.get $q)) (local.get $w))))
        (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (v128.load offset=16 (local.get $q)) (local.get $w))))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (v128.load offset=32 (local.get $q)) (local.get $w))))
        (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (v128.load offset=48 (local.get $q)) (local.get $w))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $k16)))
      (local.set $p (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))))
      (v128.store (local.get $p) (local.get $a0))
      (v128.store offset=16 (local.get $p) (local.get $a1))
      (v128.store offset=32 (local.get $p) (local.get $a2))
      (v128.store offset=48 (local.get $p) (local.get $a3))
      (local.set $d (i32.add (local.get $d) (i32.const 16)))
      (br $d16)))
    (block $d4done (loop $d4
      (br_if $d4done (i32.ge_u (local.get $d) (local.get $dims)))
      (local.set $a0 (v128.const i64x2 0 0))
      (local.set $p (local.get $scratch))
      (block $kdone (loop $k4
        (br_if $kdone (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a0 (f32x4.add (local.get $a0)
          (f32x4.mul (v128.load (i32.add (i32.load (local.get $p)) (i32.shl (local.get $d) (i32.const 2)))) (f32x4.splat (f32.load offset=4 (local.get $p))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $k4)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $d) (i32.const 2))) (local.get $a0))
      (local.set $d (i32.add (local.get $d) (i32.const 4)))
      (br $d4)))
    (call $finish (local.get $n) (local.get $dims) (local.get $normalize) (local.get $out)))
)
