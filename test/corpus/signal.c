/* A signal sent to itself must reach its handler: rt_sigaction installs the handler and kill
 * sends the signal. Stubbed, either fails; faked, the handler is missing (the default action
 * ends the process) or the signal is never sent.
 *
 * @kind sequential
 * @expect rt_sigaction required
 * @expect kill required
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig) {
	got = sig;
}

int main(void) {
	struct sigaction sa = { .sa_handler = on_usr1 };
	if (sigaction(SIGUSR1, &sa, NULL) != 0) return 1;
	if (kill(getpid(), SIGUSR1) != 0) return 2;
	if (got != SIGUSR1) return 3;
	puts("ok");
	return 0;
}
