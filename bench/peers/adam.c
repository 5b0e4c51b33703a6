// The Adam and SGD steps of descent's reference as plain C loops, for the
// peer comparison (bench/peers/README.md). Build: gcc -O3 -march=native
// -fno-math-errno adam.c -lm. Prints Go benchmark lines, impl=c-gcc.
//
// The loops are the textbook ones a C programmer would write; the compiler
// is free to vectorize them and to contract a*b+c into FMA (GCC's default
// -ffp-contract=fast), so their results are not bit-identical to descent's.
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void adam_f32(float *restrict p, const float *restrict g, float *restrict m,
                                             float *restrict v, long n, float b1c, float b2, float b2c,
                                             float rbc2, float eps, float step) {
	for (long i = 0; i < n; i++) {
		float gi = g[i];
		float mi = m[i] + b1c * (gi - m[i]);
		float vi = b2 * v[i] + b2c * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] = p[i] - step * (mi / (sqrtf(vi) * rbc2 + eps));
	}
}

__attribute__((noinline)) static void adam_f64(double *restrict p, const double *restrict g, double *restrict m,
                                             double *restrict v, long n, double b1c, double b2, double b2c,
                                             double rbc2, double eps, double step) {
	for (long i = 0; i < n; i++) {
		double gi = g[i];
		double mi = m[i] + b1c * (gi - m[i]);
		double vi = b2 * v[i] + b2c * gi * gi;
		m[i] = mi;
		v[i] = vi;
		p[i] = p[i] - step * (mi / (sqrt(vi) * rbc2 + eps));
	}
}

__attribute__((noinline)) static void sgd_f32(float *restrict p, const float *restrict g, long n, float lr) {
	for (long i = 0; i < n; i++) p[i] = p[i] - lr * g[i];
}

__attribute__((noinline)) static void sgd_f64(double *restrict p, const double *restrict g, long n, double lr) {
	for (long i = 0; i < n; i++) p[i] = p[i] - lr * g[i];
}

// bench times f until at least mintime has passed and prints one line.
#define BENCH(name, dtype, n, bytes, call)                                                         \
	do {                                                                                       \
		long iters = 1;                                                                    \
		double t;                                                                          \
		for (;;) {                                                                         \
			double t0 = now();                                                         \
			for (long it = 0; it < iters; it++) { call; }                              \
			t = now() - t0;                                                            \
			if (t >= mintime) break;                                                   \
			iters = t > 0 ? (long)(iters * 1.2 * mintime / t) + 1 : iters * 100;       \
		}                                                                                  \
		double ns = t / iters * 1e9;                                                       \
		printf("Benchmark%s/%s/n=%ld/impl=c-gcc \t%8ld\t%14.1f ns/op\t%10.2f MB/s\t%12.0f elem/s\n", \
		       name, dtype, (long)(n), iters, ns, (double)(bytes) * (n) / ns * 1e3,        \
		       (double)(n) / ns * 1e9);                                                    \
		fflush(stdout);                                                                    \
	} while (0)

int main(int argc, char **argv) {
	double mintime = argc > 1 ? atof(argv[1]) : 1.0;
	long sizes[] = {4096, 65536, 1L << 20, 1L << 24};
	const char *only = argc > 2 ? argv[2] : "";
	for (int k = 0; k < 4; k++) {
		long n = sizes[k];
		float *p = aligned_alloc(64, n * 8), *g = aligned_alloc(64, n * 8), *m = aligned_alloc(64, n * 8),
		      *v = aligned_alloc(64, n * 8);
		double *pd = (double *)p, *gd = (double *)g, *md = (double *)m, *vd = (double *)v;
		srand(1);
		for (long i = 0; i < n; i++) {
			p[i] = (float)rand() / RAND_MAX - 0.5f;
			g[i] = (float)rand() / RAND_MAX - 0.5f;
			m[i] = 0;
			v[i] = g[i] * g[i];
		}
		if (!*only || strstr("Adam", only))
			BENCH("Adam", "f32", n, 28, adam_f32(p, g, m, v, n, 0.1f, 0.999f, 0.001f, 1.2f, 1e-8f, 1e-3f));
		if (!*only || strstr("SGD", only))
			BENCH("SGD", "f32", n, 12, sgd_f32(p, g, n, 1e-6f));
		for (long i = 0; i < n; i++) {
			pd[i] = (double)rand() / RAND_MAX - 0.5;
			gd[i] = (double)rand() / RAND_MAX - 0.5;
			md[i] = 0;
			vd[i] = gd[i] * gd[i];
		}
		if (!*only || strstr("Adam", only))
			BENCH("Adam", "f64", n, 56, adam_f64(pd, gd, md, vd, n, 0.1, 0.999, 0.001, 1.2, 1e-8, 1e-3));
		if (!*only || strstr("SGD", only))
			BENCH("SGD", "f64", n, 24, sgd_f64(pd, gd, n, 1e-6));
		free(p), free(g), free(m), free(v);
	}
	return 0;
}
