(module
  (import "env" "memory" (memory 1))
  ;; For each of $n rows of $chunks 16-byte chunks at $rows, write the Hamming distance to the
  ;; query at $q into the i32 array at $out.
  (func (export "hamming") (param $q i32) (param $rows i32) (param $n i32) (param $chunks i32) (param $out i32)
    (local $r i32) (local $c i32) (local $p i32) (local $qp i32) (local $acc v128)
    (local.set $p (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $c (i32.const 0))
        (local.set $qp (local.get $q))
        (block $rowdone
          (loop $chunk
            (br_if $rowdone (i32.ge_u (local.get $c) (local.get $chunks)))
            (local.set $acc
              (i16x8.add (local.get $acc)
                (i16x8.extadd_pairwise_i8x16_u
                  (i8x16.popcnt (v128.xor (v128.load (local.get $p)) (v128.load (local.get $qp)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $qp (i32.add (local.get $qp) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br $chunk)))
        ;; horizontal sum of 8 u16 lanes
        (local.set $acc (i32x4.extadd_pairwise_i16x8_u (local.get $acc)))
        (i32.store (local.get $out)
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
            (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
