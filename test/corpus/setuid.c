/* A set-user-ID program (owned by nobody): it checks that it runs as its owner. Under
 * no_new_privs, which every run of the analysis has, the bit is ignored and the program would
 * run as root: the analysis must refuse it before any run, saying why and what to do.
 *
 * @kind sequential
 * @setup setuid 65534
 * @expect-error 3 set-user-ID.*no_new_privs
 */
#include <stdio.h>
#include <unistd.h>

int main(void) {
	if (geteuid() != 65534) return 1;
	puts("ok");
	return 0;
}
