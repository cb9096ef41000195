/* pthread_create goes through clone3, and glibc falls back to clone when clone3 says ENOSYS.
 *
 * Stubbed, clone3 is replaced by clone and the thread runs. Faked, clone3 "succeeds" with 0 in
 * the creating thread, which glibc takes for the new thread: the thread function runs on the
 * caller's stack and the caller exits, so "ok" is never printed.
 *
 * @kind sequential
 * @build -static -pthread
 * @expect clone3 stubOnly
 * @fallback clone3 clone
 */
#include <pthread.h>
#include <stdio.h>

static int ran;

static void *work(void *arg) {
	ran = *(int *)arg;
	return NULL;
}

int main(void) {
	pthread_t t;
	int seven = 7;
	if (pthread_create(&t, NULL, work, &seven) != 0) return 1;
	if (pthread_join(t, NULL) != 0 || ran != 7) return 2;
	puts("ok");
	return 0;
}
