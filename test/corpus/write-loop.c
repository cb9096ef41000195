/* stdio writes until everything is written: a faked write (0 bytes written, no error) makes
 * glibc try again forever. The engine must judge that run hung by a limit set from the
 * unperturbed run (its CPU-time limit on a quiet machine, its wall-time hang limit when load
 * delays the spinning), not wait for the whole time-out.
 *
 * @kind sequential
 * @expect write required
 * @expect-reason fake:write (hang|CPU) limit, set from the unperturbed run
 */
#include <stdio.h>

int main(void) {
	if (puts("ok") == EOF || fflush(stdout) != 0) return 1;
	return 0;
}
