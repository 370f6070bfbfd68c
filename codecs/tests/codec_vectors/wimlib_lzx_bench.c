/*
 * Reference numbers for the LZX codec: runs wimlib's own LZX decompressor (or compressor)
 * over a pack of chunks written by `extract_lzx_chunks.py WIM SRC --pack PACK` (or by the
 * `write_our_pack` helper of tests/lzx_bench.rs), through wimlib's public API only.
 *
 *   gcc -O2 -o /tmp/wimlib_lzx_bench wimlib_lzx_bench.c /usr/lib/x86_64-linux-gnu/libwim.so.15
 *   /tmp/wimlib_lzx_bench PACK        # decode every LZX chunk, check it, best of 3 (CPU time)
 *   /tmp/wimlib_lzx_bench PACK 1 [L]  # compress every chunk at level L (0 = default, 50)
 *
 * Decoding a pack made by write_our_pack checks that wimlib reads our encoder's output.
 * The prototypes below are those of wimlib.h (not installed here); compression type 2 = LZX.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct wimlib_decompressor;
struct wimlib_compressor;
int wimlib_create_decompressor(int ctype, size_t max_block_size, struct wimlib_decompressor **d);
int wimlib_decompress(const void *in, size_t in_size, void *out, size_t out_size,
                      struct wimlib_decompressor *d);
void wimlib_free_decompressor(struct wimlib_decompressor *d);
int wimlib_create_compressor(int ctype, size_t max_block_size, unsigned level,
                             struct wimlib_compressor **c);
size_t wimlib_compress(const void *in, size_t in_size, void *out, size_t out_avail,
                       struct wimlib_compressor *c);
void wimlib_free_compressor(struct wimlib_compressor *c);

static double cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PACK [1 [LEVEL]]\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *d = malloc(n);
	if (!d || fread(d, 1, n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 1;
	}
	fclose(f);
	int compress = argc > 2 && atoi(argv[2]) == 1;
	unsigned level = argc > 3 ? (unsigned)atoi(argv[3]) : 0;
	uint8_t *out = malloc(4 << 20);
	struct wimlib_decompressor *dec = NULL;
	struct wimlib_compressor *comp = NULL;
	uint32_t cur_window = 0;
	double best = 1e30;
	size_t raw_total = 0, out_total = 0;
	int chunks = 0;
	for (int pass = 0; pass < (compress ? 1 : 3); pass++) {
		double t0 = cpu_seconds();
		raw_total = out_total = 0;
		chunks = 0;
		for (long p = 0; p < n;) {
			uint8_t kind = d[p];
			uint32_t w, cl, rl;
			memcpy(&w, d + p + 1, 4);
			memcpy(&cl, d + p + 5, 4);
			memcpy(&rl, d + p + 9, 4);
			p += 13;
			const uint8_t *c = d + p;
			p += cl;
			const uint8_t *r = d + p;
			p += rl;
			if (w != cur_window) {
				cur_window = w;
				if (dec)
					wimlib_free_decompressor(dec);
				if (comp)
					wimlib_free_compressor(comp);
				dec = NULL;
				comp = NULL;
				if (wimlib_create_decompressor(2, w, &dec) ||
				    (compress && wimlib_create_compressor(2, w, level, &comp))) {
					fprintf(stderr, "cannot create an LZX codec for %u\n", w);
					return 1;
				}
			}
			if (!compress) {
				if (kind != 0)
					continue;
				if (wimlib_decompress(c, cl, out, rl, dec)) {
					fprintf(stderr, "chunk %d does not decode\n", chunks);
					return 1;
				}
				if (pass == 0 && memcmp(out, r, rl)) {
					fprintf(stderr, "chunk %d decodes differently\n", chunks);
					return 1;
				}
				raw_total += rl;
			} else {
				size_t s = wimlib_compress(r, rl, out, rl - 1, comp);
				raw_total += rl;
				out_total += s ? s : rl;
			}
			chunks++;
		}
		double t = cpu_seconds() - t0;
		if (t < best)
			best = t;
	}
	if (!compress)
		printf("wimlib decode: %d chunks, %.1f MB in %.3f s CPU: %.0f MB/s\n", chunks,
		       raw_total / 1e6, best, raw_total / 1e6 / best);
	else
		printf("wimlib compress level %u: %d chunks, %.1f MB -> %zu bytes, %.3f s CPU, %.1f MB/s\n",
		       level, chunks, raw_total / 1e6, out_total, best, raw_total / 1e6 / best);
	return 0;
}
