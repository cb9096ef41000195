/* glibc registers a restartable-sequence area at start-up and copes when rseq says ENOSYS.
 *
 * Stubbed, glibc records that no area is registered (__rseq_size is 0) and the program reads
 * nothing from it. Faked, glibc believes the area registered, but the kernel never fills it:
 * its cpu_id stays negative, and a program that trusts the registration fails.
 *
 * @kind sequential
 * @expect rseq stubOnly
 */
#include <stdio.h>
#include <sys/rseq.h>

int main(void) {
	if (__rseq_size > 0) {
		const struct rseq *area = (const struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
		if ((int)area->cpu_id < 0) return 1;
	}
	puts("ok");
	return 0;
}
