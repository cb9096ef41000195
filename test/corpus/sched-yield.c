/* A program that insists that sched_yield succeeds: an error stops it, a 0 does not.
 *
 * @kind sequential
 * @expect sched_yield fakeOnly
 */
#include <sched.h>
#include <stdio.h>

int main(void) {
	if (sched_yield() != 0) return 1;
	puts("ok");
	return 0;
}
