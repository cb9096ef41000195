/* A short sleep whose failure the program does not tolerate: an error stops it, a faked 0
 * (no sleep at all) does not matter to it.
 *
 * @kind sequential
 * @expect clock_nanosleep fakeOnly
 */
#include <stdio.h>
#include <time.h>

int main(void) {
	struct timespec pause = { .tv_sec = 0, .tv_nsec = 1000000 };
	if (nanosleep(&pause, NULL) != 0) return 1;
	puts("ok");
	return 0;
}
