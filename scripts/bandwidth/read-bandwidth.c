// Is the search bench's read ceiling (#12) the machine's? A native read of a buffer larger than the
// caches, summed with AVX2 (or AVX-512 with -DUSE512) on 1 or 2 threads, the 2 split into contiguous
// halves or interleaved in blocks; then the same for L3- and L2-sized buffers (compute, not DRAM).
// Each run is timed from the first thread's start to the last one's end on the threads' own clocks.
//   gcc -O3 -mavx2 -pthread scripts/bandwidth/read-bandwidth.c -o /tmp/rb && /tmp/rb MiB repeats hugepages(0/1)
// Prints the median, 90th percentile and best of the runs: on a shared machine the best is the least disturbed.
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

static uint8_t *buf;
static size_t bytes;
typedef struct { int t, threads; size_t block; int interleave; uint64_t out; double t0, t1; } job_t;
static size_t span; static int passes = 1; // span: bytes read (<= bytes); passes over it
static pthread_barrier_t start_b, end_b;
static volatile int phase_go;

static double now() { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec + ts.tv_nsec * 1e-9; }

static uint64_t sum_range(const uint8_t *p, size_t n) {
#ifdef USE512
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  for (size_t i = 0; i < n; i += 256) {
    a = _mm512_add_epi32(a, _mm512_load_si512((const void *)(p + i)));
    b = _mm512_add_epi32(b, _mm512_load_si512((const void *)(p + i + 64)));
    c = _mm512_add_epi32(c, _mm512_load_si512((const void *)(p + i + 128)));
    d = _mm512_add_epi32(d, _mm512_load_si512((const void *)(p + i + 192)));
  }
  a = _mm512_add_epi32(_mm512_add_epi32(a, b), _mm512_add_epi32(c, d));
  return (uint64_t)_mm512_reduce_add_epi32(a);
#else
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  for (size_t i = 0; i < n; i += 128) {
    a = _mm256_add_epi32(a, _mm256_load_si256((const __m256i *)(p + i)));
    b = _mm256_add_epi32(b, _mm256_load_si256((const __m256i *)(p + i + 32)));
    c = _mm256_add_epi32(c, _mm256_load_si256((const __m256i *)(p + i + 64)));
    d = _mm256_add_epi32(d, _mm256_load_si256((const __m256i *)(p + i + 96)));
  }
  a = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
  uint32_t x[8]; _mm256_storeu_si256((__m256i *)x, a);
  return (uint64_t)x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
#endif
}

static void *worker(void *arg) {
  job_t *j = arg;
  pthread_barrier_wait(&start_b);
  j->t0 = now();
  uint64_t s = 0;
  for (int p = 0; p < passes; p++) {
  if (!j->interleave) {
    size_t share = span / j->threads;
    s += sum_range(buf + share * j->t, share);
  } else {
    for (size_t at = j->block * j->t; at < span; at += j->block * j->threads) s += sum_range(buf + at, j->block);
  }
  }
  j->out = s;
  j->t1 = now();
  pthread_barrier_wait(&end_b);
  return NULL;
}

static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }

static void run(const char *name, int threads, int interleave, size_t block, int R) {
  double gb[1024];
  for (int r = 0; r < R; r++) {
    pthread_t th[4]; job_t jobs[4];
    pthread_barrier_init(&start_b, NULL, threads + 1);
    pthread_barrier_init(&end_b, NULL, threads + 1);
    for (int t = 0; t < threads; t++) { jobs[t] = (job_t){t, threads, block, interleave, 0}; pthread_create(&th[t], NULL, worker, &jobs[t]); }
    pthread_barrier_wait(&start_b);
    double t0 = now();
    pthread_barrier_wait(&end_b);
    double t1 = now();
    for (int t = 0; t < threads; t++) pthread_join(th[t], NULL);
    pthread_barrier_destroy(&start_b); pthread_barrier_destroy(&end_b);
    // Each thread's own clock: the first start to the last end (the main thread may be descheduled).
    double a = jobs[0].t0, b = jobs[0].t1;
    for (int t = 1; t < threads; t++) { if (jobs[t].t0 < a) a = jobs[t].t0; if (jobs[t].t1 > b) b = jobs[t].t1; }
    (void)t0; (void)t1;
    gb[r] = (double)span * passes / 1e9 / (b - a);
  }
  qsort(gb, R, sizeof(double), cmp);
  printf("%-44s median %6.1f  p90 %6.1f  max %6.1f GB/s\n", name, gb[R / 2], gb[R * 9 / 10], gb[R - 1]);
}

int main(int argc, char **argv) {
  bytes = (size_t)(argc > 1 ? atof(argv[1]) : 2048) << 20;
  int R = argc > 2 ? atoi(argv[2]) : 11;
  int huge = argc > 3 ? atoi(argv[3]) : 0;
  buf = aligned_alloc(1 << 21, bytes);
  madvise(buf, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  memset(buf, 1, bytes);
  span = bytes; passes = 1;
  run("DRAM 1 thread", 1, 0, 0, R);
  run("DRAM 2 threads, contiguous halves", 2, 0, 0, R);
  run("DRAM 2 threads, interleaved 64 KiB", 2, 1, 65536, R);
  run("DRAM 2 threads, interleaved 1 MiB", 2, 1, 1 << 20, R);
  span = 16 << 20; passes = 64;
  run("L3 (16 MiB x64) 1 thread", 1, 0, 0, R);
  run("L3 (16 MiB x64) 2 threads", 2, 0, 0, R);
  span = 1 << 20; passes = 1024;
  run("L2 (1 MiB x1024; 512 KiB each for 2) 1 thr", 1, 0, 0, R);
  run("L2 (512 KiB each x1024) 2 threads", 2, 0, 0, R);
  return 0;
}
