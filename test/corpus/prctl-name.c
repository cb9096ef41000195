/* Naming the thread is cosmetic: the result of prctl(PR_SET_NAME) is ignored.
 *
 * @kind sequential
 * @expect prctl both
 */
#include <stdio.h>
#include <sys/prctl.h>

int main(void) {
	(void)prctl(PR_SET_NAME, "corpus", 0, 0, 0);
	puts("ok");
	return 0;
}
