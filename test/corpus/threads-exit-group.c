/* A thread ends the whole process with exit (exit_group) while another thread still runs.
 *
 * exit_group is how the process ends with its status: stubbed or faked, glibc's _exit finds
 * itself still running and stops the process with a fault, so the status is lost.
 *
 * @kind sequential
 * @build -static -pthread
 * @expect exit_group required
 * @expect clone3 stubOnly
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *sleeper(void *arg) {
	(void)arg;
	for (;;) pause();
	return NULL;
}

static void *finisher(void *arg) {
	(void)arg;
	puts("ok");
	fflush(stdout);
	exit(0);
}

int main(void) {
	pthread_t a, b;
	if (pthread_create(&a, NULL, sleeper, NULL) != 0) return 1;
	if (pthread_create(&b, NULL, finisher, NULL) != 0) return 1;
	pthread_join(a, NULL); /* never returns: the finisher ends the process */
	return 3;
}
