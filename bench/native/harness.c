/* SPDX-License-Identifier: (MIT OR GPL-2.0) */
/*
 * harness.c: times one benchmark program built as a native function.
 *
 * The bench command compiles the program's C source with gcc -O2 (through
 * shim.h) and links it with this file, naming the program's function with
 * -DENTRY=name (and its setup function with -DSETUP=name). The program is
 * a separate translation unit, called through a function pointer, so the
 * compiler cannot hoist its work out of the timing loop.
 *
 * Usage: harness CPU (a CPU to pin the process to, or -1). Commands on
 * standard input, one per line, each answered by one line:
 *
 *	p HEX   set the packet              -> ok
 *	s       run the setup function once -> ok RET
 *	r N     run the program N times     -> RET NANOSECONDS (all N runs)
 *
 * The packet sits 256 bytes into a 4 KiB frame, as in the kernel's XDP
 * test run.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../progs/bench.h"

extern int ENTRY(struct xdp_md *ctx);
#ifdef SETUP
extern int SETUP(struct xdp_md *ctx);
#endif

static unsigned char frame[4096] __attribute__((aligned(4096)));
static char line[16384];

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	int (*volatile entry)(struct xdp_md *) = ENTRY;
	struct xdp_md ctx = {0};
	int cpu = argc > 1 ? atoi(argv[1]) : -1;

	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			perror("harness: sched_setaffinity");
	}
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'p': {
			unsigned char *data = frame + 256;
			size_t n = 0;
			char *s = line + 2;

			while (hexval(s[0]) >= 0 && hexval(s[1]) >= 0 && n < sizeof(frame) - 256 - 320) {
				data[n++] = (unsigned char)(hexval(s[0]) << 4 | hexval(s[1]));
				s += 2;
			}
			ctx.data = data;
			ctx.data_end = data + n;
			ctx.data_meta = data;
			printf("ok\n");
			break;
		}
		case 's': {
			unsigned int ret = 0;
#ifdef SETUP
			ret = (unsigned int)SETUP(&ctx);
#endif
			printf("ok %u\n", ret);
			break;
		}
		case 'r': {
			long long n = atoll(line + 2), i, t0, t1;
			int (*f)(struct xdp_md *) = entry;
			unsigned int ret = 0;

			t0 = now_ns();
			for (i = 0; i < n; i++)
				ret = (unsigned int)f(&ctx);
			t1 = now_ns();
			printf("%u %lld\n", ret, t1 - t0);
			break;
		}
		default:
			printf("error: unknown command\n");
		}
		fflush(stdout);
	}
	return 0;
}
